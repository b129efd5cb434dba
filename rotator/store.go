package rotator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"cloud-codex/codexauth"
)

// tokenFileMode: every file holding tokens is readable by its owner only. All containers
// that share the auth volume (seed, rotator, LiteLLM, the device-auth station) therefore
// have to run as the same UID.
const tokenFileMode = 0o600

// errReserved guards the rule that reserved accounts are never read for use, refreshed or
// written: every account-file access of the rotator goes through store, and store refuses
// them. Only Import (an operator stocking a spare) may write one.
var errReserved = errors.New("reserved account: the rotator never reads or writes it")

// store is the rotator's view of the auth directory.
type store struct {
	cfg Config
}

func (s store) path(name string) string { return filepath.Join(s.cfg.Dir, name) }

// readFile is the only way the rotator reads a file of the auth directory.
func (s store) readFile(path string) ([]byte, error) {
	if s.cfg.onRead != nil {
		s.cfg.onRead(path)
	}
	return readRegular(path)
}

// maxFileSize bounds every file the rotator reads from the volume. A login is a few
// kilobytes; a larger file is not one, and reading it whole could exhaust the sidecar's
// memory.
const maxFileSize = 1 << 20

// readRegular reads a regular file of the auth directory, refusing anything else. A
// symbolic link is not followed: an auth-N.json linked to a reserved account's file, or
// to a file outside the volume, would have the rotator read, refresh and spend a token it
// must never touch. A FIFO or device would block the read while the rotator holds its
// lock, so the guard would stop running. Both are reported as *fs.PathError, like a file
// the rotator may not read: a problem of the volume, not of the login. A file larger than
// maxFileSize is an error that is not a *fs.PathError: it is no login.
func readRegular(path string) ([]byte, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf(
			"is a symbolic link (to %s): the rotator reads only regular files in the volume; put the file itself there", target)}
	}
	if !info.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("is not a regular file (%s)", info.Mode().Type())}
	}
	f, err := openNoFollow(path) // the name may have been swapped since Lstat
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("is not a regular file (%s)", info.Mode().Type())}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a token file", filepath.Base(path), maxFileSize)
	}
	return data, nil
}

func (s store) accountPath(n int) string { return s.path(codexauth.AccountFileName(n)) }

// readAccount reads and validates auth-N.json of an account in rotation. A missing file
// is reported as an error wrapping fs.ErrNotExist.
func (s store) readAccount(n int) (codexauth.CodexAuth, error) {
	if s.cfg.isReserved(n) {
		return codexauth.CodexAuth{}, fmt.Errorf("account %d: %w", n, errReserved)
	}
	data, err := s.readFile(s.accountPath(n))
	if err != nil {
		return codexauth.CodexAuth{}, fmt.Errorf("account %d: %w", n, err)
	}
	a, err := codexauth.ParseCodexAuth(data)
	if err != nil {
		return codexauth.CodexAuth{}, fmt.Errorf("account %d: %s: %w", n, codexauth.AccountFileName(n), err)
	}
	return a, nil
}

// lockAccounts serialises the writers of account files across processes: Import and the
// rotator hold it from reading auth-N.json to replacing it. Without it, an import landing
// between the rotator's "was a login imported meanwhile?" check (or a copy-back's "are
// LiteLLM's tokens newer?") and its rename would be overwritten, and the login that import
// had just reported as stored would be lost. It is held only for file operations, never
// across a token exchange, so an import waits at most for one write.
func (s store) lockAccounts() (unlock func()) { return lockDir(s.cfg.Dir) }

// writeAccount atomically replaces auth-N.json of an account in rotation, after checking
// that what it writes parses back.
func (s store) writeAccount(n int, a codexauth.CodexAuth) error {
	if s.cfg.isReserved(n) {
		return fmt.Errorf("account %d: %w", n, errReserved)
	}
	data, err := marshalCodexAuth(a)
	if err != nil {
		return fmt.Errorf("account %d: %w", n, err)
	}
	if err := s.cfg.writer.write(s.accountPath(n), data, tokenFileMode); err != nil {
		return fmt.Errorf("account %d: %w", n, err)
	}
	return nil
}

func marshalCodexAuth(a codexauth.CodexAuth) ([]byte, error) {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, err
	}
	if _, err := codexauth.ParseCodexAuth(data); err != nil {
		return nil, fmt.Errorf("refusing to write an invalid codex auth file: %w", err)
	}
	return append(data, '\n'), nil
}

// flatPath is LiteLLM's token file.
func (s store) flatPath() string { return s.path(codexauth.AuthFileName) }

// readFlat reads LiteLLM's flat file. LiteLLM rewrites the file in place (truncate, then
// write) when it refreshes, so a read can catch it half-written: a file that does not
// parse is read again a few times before it counts as invalid. A missing file is an error
// wrapping fs.ErrNotExist.
func (s store) readFlat() (codexauth.FlatToken, error) {
	const attempts = 4
	var lastErr error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			time.Sleep(s.cfg.tornReadDelay)
		}
		data, err := s.readFile(s.flatPath())
		if err != nil {
			return codexauth.FlatToken{}, fmt.Errorf("flat token file: %w", err)
		}
		if isFailFast(data) {
			return codexauth.FlatToken{}, errFailFast
		}
		f, err := codexauth.ParseFlatToken(data)
		if err == nil {
			return f, nil
		}
		lastErr = err
	}
	return codexauth.FlatToken{}, lastErr
}

// writeFlat atomically gives LiteLLM account a's tokens. It never writes a file that
// fails FlatToken.Validate (an invalid file sends LiteLLM into its in-request device login).
func (s store) writeFlat(a codexauth.CodexAuth) (codexauth.FlatToken, error) {
	f, err := a.Flat()
	if err != nil {
		return codexauth.FlatToken{}, fmt.Errorf("flat token file: %w", err)
	}
	if err := f.Validate(); err != nil {
		return codexauth.FlatToken{}, fmt.Errorf("refusing to write an invalid flat token file: %w", err)
	}
	data, err := json.Marshal(f)
	if err != nil {
		return codexauth.FlatToken{}, fmt.Errorf("flat token file: %w", err)
	}
	if err := s.clearFlatDir(); err != nil {
		return codexauth.FlatToken{}, fmt.Errorf("flat token file: %w", err)
	}
	if err := s.cfg.writer.write(s.flatPath(), append(data, '\n'), tokenFileMode); err != nil {
		return codexauth.FlatToken{}, fmt.Errorf("flat token file: %w", err)
	}
	return f, nil
}

// clearFlatDir removes an empty directory standing where LiteLLM's token file belongs (a
// volume prepared by hand, a mount that created the path as a directory): a file cannot be
// renamed over it, and LiteLLM reads it as a missing file, which starts its device login.
// An empty directory holds no token. A directory with anything in it is left alone and
// reported: what it holds is not the rotator's to delete.
func (s store) clearFlatDir() error {
	info, err := os.Lstat(s.flatPath())
	if err != nil || !info.IsDir() {
		return nil // the write itself reports anything else
	}
	if err := os.Remove(s.flatPath()); err != nil {
		return fmt.Errorf("%s in %s is a directory that is not empty (%v): LiteLLM cannot read its token file there; move the directory away",
			codexauth.AuthFileName, s.cfg.Dir, err)
	}
	s.cfg.Logger.Printf("removed the empty directory %s that stood where LiteLLM's token file belongs", s.flatPath())
	return nil
}

// flatDirProblem says why LiteLLM's token file cannot be written because a directory with
// something in it stands in its place ("" if none does: no directory, or an empty one,
// which clearFlatDir removes).
func (s store) flatDirProblem() string {
	info, err := os.Lstat(s.flatPath())
	if err != nil || !info.IsDir() {
		return ""
	}
	if entries, err := os.ReadDir(s.flatPath()); err == nil && len(entries) == 0 {
		return ""
	}
	return fmt.Sprintf("%s in %s is a directory that is not empty: LiteLLM cannot read its token file there, and the rotator does not delete what it holds; move the directory away",
		codexauth.AuthFileName, s.cfg.Dir)
}

// writeFailFast replaces the flat file with the fail-fast file (see litellm.go): while no
// account is usable, LiteLLM fails every call at once instead of starting a device login.
func (s store) writeFailFast(why, action string, now time.Time) error {
	data, err := json.Marshal(failFastFile{
		AccessToken: failFastAccessToken,
		ExpiresAt:   failFastExpiresAt,
		AccountID:   failFastAccessToken,
		Rotator:     failFastNote{NoUsableAccount: why, Since: now.UTC(), Action: action},
	})
	if err == nil {
		err = liteLLMServes(data, now) // the one property this file exists for
	}
	if err == nil {
		err = s.clearFlatDir()
	}
	if err != nil {
		return fmt.Errorf("fail-fast token file: %w", err)
	}
	if err := s.cfg.writer.write(s.flatPath(), append(data, '\n'), tokenFileMode); err != nil {
		return fmt.Errorf("fail-fast token file: %w", err)
	}
	return nil
}

// writeRescue saves flat-file tokens that belong to no account in rotation (for example an
// account moved to --reserved while LiteLLM held it) before the flat file is replaced, so
// their refresh token is not lost. The file is a codex auth file: `import N --from` takes it.
func (s store) writeRescue(f codexauth.FlatToken) (string, error) {
	return s.writeRescueAuth(codexauth.NewCodexAuth(f.Tokens(), s.cfg.Clock.Now()))
}

// writeRescueAuth saves a login that belongs in no account file to a rescue file.
func (s store) writeRescueAuth(a codexauth.CodexAuth) (string, error) {
	name := s.rescueName("rescued-auth")
	data, err := marshalCodexAuth(a)
	if err != nil {
		return "", err
	}
	if err := s.cfg.writer.write(s.path(name), data, tokenFileMode); err != nil {
		return "", err
	}
	return name, nil
}

// writeRescueRaw saves a flat file's bytes as they are (see keepUnreadableFlat): it holds a
// refresh token but no login the rotator can read, so it cannot be rewritten as a codex
// auth file.
func (s store) writeRescueRaw(data []byte) (string, error) {
	name := s.rescueName("rescued-flat")
	if err := s.cfg.writer.write(s.path(name), data, tokenFileMode); err != nil {
		return "", err
	}
	return name, nil
}

// rescueName names a new rescue file. Two rescues within one clock reading (a coarse clock,
// or a refreshed pair and the flat file's tokens saved in the same tick) must not share a
// name: the second write would replace the first, and its refresh token would be lost.
func (s store) rescueName(prefix string) string {
	ns := s.cfg.Clock.Now().UnixNano()
	name := fmt.Sprintf("%s-%d.json", prefix, ns)
	for i := 1; ; i++ {
		if _, err := os.Lstat(s.path(name)); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d-%d.json", prefix, ns, i)
	}
}
