package rotator

import (
	"fmt"
	"strings"
	"time"

	"cloud-codex/codexauth"
)

// What an operator is told to do when no account is usable must be what helps: a device
// login only for an account whose login is missing or dead, the volume when a file cannot
// be read or written, and nothing at all when an account comes back by itself (a park
// ends, the token endpoint recovers). Sending operators to log in when no login is needed
// costs them a device-auth round for nothing and hides the real cause.

// remedy says what brings an account in rotation back, for the fail-fast file, the log and
// the status file's not_ready_reason. logIn introduces the login command ("log one in: "
// after "no usable ChatGPT account in rotation; ", the wording runbooks quote).
func (r *Rotator) remedy(now time.Time, logIn string) string {
	var parts []string
	login := r.loginNeeded()
	if login != 0 {
		parts = append(parts, logIn+r.cfg.LoginCommand(login))
	}
	if vol := r.volumeProblem(); vol != "" {
		parts = append(parts, vol)
	}
	if w := r.nextRecovery(now); w != "" {
		parts = append(parts, "wait: "+w)
	}
	if len(parts) == 0 {
		parts = append(parts, "the rotator retries every minute")
	}
	text := strings.Join(parts, "; or ")
	if login == 0 {
		text = "no login is needed: " + text
	}
	return text
}

// loginNeeded is the account an operator should log in first: the first one whose login is
// missing, invalid or dead, or 0 if no account needs a login.
func (r *Rotator) loginNeeded() int {
	for _, n := range r.cfg.Accounts {
		if r.needsLogin(n) {
			return n
		}
	}
	return 0
}

// needsLogin reports whether only a new login brings account n back.
func (r *Rotator) needsLogin(n int) bool {
	a := r.acct(n)
	return a.State == StateMissing || a.State == StateInvalid || a.ParkedPermanently
}

// volumeProblem says what on the volume keeps the rotator from giving LiteLLM an account,
// or "": a directory where LiteLLM's file belongs, a held pair that cannot be written, an
// account file it cannot read, or files a refresh could not store.
func (r *Rotator) volumeProblem() string {
	if dir := r.store.flatDirProblem(); dir != "" {
		return "fix the volume: " + dir
	}
	for _, n := range r.cfg.Accounts {
		if _, unsaved := r.pending[n]; unsaved {
			return fmt.Sprintf("fix the volume %s so that %s can be written (account %d's refreshed pair is held in memory only)",
				r.cfg.Dir, codexauth.AccountFileName(n), n)
		}
	}
	for _, n := range r.cfg.Accounts {
		if r.acct(n).State == StateUnreadable {
			return fmt.Sprintf("fix the volume %s: the rotator cannot read %s (owner or mode; a login would not help)",
				r.cfg.Dir, codexauth.AccountFileName(n))
		}
	}
	for _, n := range r.cfg.Accounts {
		if err := r.volumeBlocked[n]; err != nil {
			return volumeFix(r.cfg.Dir, err) + fmt.Sprintf(" (account %d cannot be refreshed until its new pair can be stored)", n)
		}
	}
	return ""
}

// nextRecovery names the temporarily parked account that comes back first, or "".
func (r *Rotator) nextRecovery(now time.Time) string {
	var first *AccountStatus
	for _, n := range r.cfg.Accounts {
		a := r.acct(n)
		if a.ParkedPermanently || r.needsLogin(n) || a.ParkedUntil == nil || !a.ParkedUntil.After(now) {
			continue
		}
		if first == nil || a.ParkedUntil.Before(*first.ParkedUntil) {
			first = a
		}
	}
	if first == nil {
		return ""
	}
	return fmt.Sprintf("account %d is parked until %s (%s) and is handed to LiteLLM then",
		first.Account, first.ParkedUntil.UTC().Format(time.RFC3339), first.ParkReason)
}
