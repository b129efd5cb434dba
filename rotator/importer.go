package rotator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"cloud-codex/codexauth"
)

// Import stores a device-auth login (codex's nested auth.json) as account n's
// auth-N.json, atomically and readable by its owner only. The device-auth station calls it
// after `codex login --device-auth`.
//
// n must be an account in rotation or a reserved one: importing into a reserved slot is
// how an operator stocks a spare (the rotator never touches it until it is moved into
// --accounts). Any other number is refused, so a login cannot land where nothing uses or
// protects it. A login of the same ChatGPT user as another account in rotation is refused
// too: it adds no quota, and two slots sharing a user make ownership of LiteLLM's tokens
// ambiguous.
func Import(cfg Config, n int, data []byte) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if !cfg.inRotation(n) && !cfg.isReserved(n) {
		reserved := FormatAccountList(cfg.Reserved)
		if reserved == "" {
			reserved = "none"
		}
		return fmt.Errorf("account %d is not configured (accounts in rotation: %s; reserved: %s): refusing to import it",
			n, FormatAccountList(cfg.Accounts), reserved)
	}
	auth, err := codexauth.ParseCodexAuth(data)
	if err != nil {
		return fmt.Errorf("account %d: not a usable codex login (expected the auth.json of `codex login --device-auth`): %w", n, err)
	}
	s := store{cfg: cfg}
	// A rotator storing a refreshed pair checks for an import and then writes: the lock
	// keeps this write out of that window (store.lockAccounts).
	defer s.lockAccounts()()
	id := auth.Tokens.Identity()
	for _, m := range cfg.Accounts {
		if m == n {
			continue
		}
		other, err := s.readAccount(m)
		switch {
		case err != nil:
		case other.Tokens.RefreshToken == auth.Tokens.RefreshToken:
			// A copy of another account's login: its refresh token would be spent twice.
			return fmt.Errorf("account %d: this login holds the same refresh token as account %d (a copy of %s); log in with a different ChatGPT account",
				n, m, codexauth.AccountFileName(m))
		case id != "" && other.Tokens.Identity() == id:
			return fmt.Errorf("account %d: this login is the same ChatGPT user as account %d; log in with a different ChatGPT account (or remove %s first)",
				n, m, codexauth.AccountFileName(m))
		}
	}
	if data[len(data)-1] != '\n' {
		data = append(data[:len(data):len(data)], '\n')
	}
	if err := cfg.writer.write(s.accountPath(n), data, tokenFileMode); err != nil {
		// A rotator starting at this moment may have found the complete temp file and
		// finished the rename itself (recoverTemps): then the login is stored.
		if cur, rerr := os.ReadFile(s.accountPath(n)); !errors.Is(err, fs.ErrNotExist) || rerr != nil || !bytes.Equal(cur, data) {
			return fmt.Errorf("account %d: %w", n, err)
		}
	}
	return nil
}
