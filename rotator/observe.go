package rotator

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"cloud-codex/codexauth"
)

// observe reads every auth-N.json in rotation (never a reserved one) and brings the
// status up to date: expiry, missing or invalid files, parks that ended, and permanent
// parks lifted by a newly imported login. It first retries writing refreshed token sets
// that could not be written before.
func (r *Rotator) observe(now time.Time) {
	r.writePending()
	r.duplicates = map[int]string{}
	earlier := map[int]codexauth.CodexAuth{} // readable, distinct logins, in rotation order
	for _, n := range r.cfg.Accounts {
		a := r.acct(n)
		auth, err := r.store.readAccount(n)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if a.State != StateMissing {
				r.setError(n, codexauth.AccountFileName(n)+" does not exist: no login imported")
			}
			a.State = StateMissing
			a.AccessTokenExpiresAt = nil
			continue
		case errors.As(err, new(*fs.PathError)):
			// The file is there but cannot be read (owner, mode, I/O error): a problem of
			// the volume, which no login fixes.
			r.setError(n, strings.TrimPrefix(err.Error(), fmt.Sprintf("account %d: ", n)))
			r.volumeErr = &VolumeError{Dir: r.cfg.Dir, Err: err, What: "holds an account file the rotator cannot read"}
			a.State = StateUnreadable
			a.AccessTokenExpiresAt = nil
			continue
		case err != nil:
			r.setError(n, strings.TrimPrefix(err.Error(), fmt.Sprintf("account %d: ", n)))
			a.State = StateInvalid
			a.AccessTokenExpiresAt = nil
			continue
		}
		if why := r.duplicateOf(n, auth, earlier); why != "" {
			// Spending this file's refresh token would present a token that is, or will
			// be, spent through the other slot; and two slots of one login make it
			// ambiguous whose tokens LiteLLM holds. The file is left as it is.
			r.duplicates[n] = why
			r.setError(n, why)
			a.State = StateInvalid
			continue
		}
		earlier[n] = auth
		if a.State == StateMissing || a.State == StateInvalid || a.State == StateUnreadable {
			a.State = "" // readable again; deriveStates decides what it is now
			r.clearError(n)
		}
		exp, _ := codexauth.JWTExpiry(auth.Tokens.AccessToken) // ParseCodexAuth checked it
		a.AccessTokenExpiresAt = timePtr(exp)
		fp := fingerprint(auth.Tokens.RefreshToken)
		if a.ParkedPermanently && a.TokenFingerprint != "" && a.TokenFingerprint != fp {
			a.ParkedPermanently, a.NeedsDeviceAuth, a.ParkReason, a.DeadTokenCode = false, false, "", ""
			r.clearError(n)
			r.cfg.Logger.Printf("account %d: a new login was imported; back in rotation", n)
		}
		if a.CheckLogin && a.TokenFingerprint != "" && a.TokenFingerprint != fp {
			// A new login replaces the one in doubt: nothing left to check.
			a.CheckLogin = false
			if strings.HasPrefix(a.ParkReason, checkLoginReason) {
				a.ParkedUntil, a.ParkReason = nil, ""
			}
			r.clearError(n)
			r.cfg.Logger.Printf("account %d: a new login was imported; back in rotation", n)
		}
		a.TokenFingerprint = fp
		if a.ParkedUntil != nil && !a.ParkedUntil.After(now) {
			r.cfg.Logger.Printf("account %d: park ended (%s)", n, a.ParkReason)
			a.ParkedUntil, a.ParkReason = nil, ""
		}
	}
}

// writePending retries writing refreshed token sets whose write-back failed. A pair whose
// slot received a new login meanwhile goes to a rescue file instead (importedMeanwhile).
func (r *Rotator) writePending() {
	for n, held := range r.pending {
		_, imported, err := r.writeUnlessImported(n, held.spent, held.auth)
		if imported {
			if _, still := r.pending[n]; !still {
				r.clearError(n)
			}
			continue
		}
		if err != nil {
			r.pendingErr = err
			r.setError(n, "refreshed tokens still not written back (account not used until they are): "+err.Error())
			continue
		}
		delete(r.pending, n)
		r.clearError(n)
		r.cfg.Logger.Printf("account %d: refreshed tokens written back to %s", n, codexauth.AccountFileName(n))
	}
}

// duplicateOf says why a readable account file must not be used because it holds a login
// that an earlier account in rotation holds too ("" if it does not): the same refresh
// token (a copied file), the same ChatGPT user (a second login of one user, for example a
// reserved spare moved into rotation; Import refuses it, a hand-placed file is not
// checked), or a refresh token this process has already exchanged (spent) for another
// slot (not this account's own, whose successor is held in memory). The earlier account in --accounts order keeps the login.
func (r *Rotator) duplicateOf(n int, auth codexauth.CodexAuth, earlier map[int]codexauth.CodexAuth) string {
	for _, m := range r.cfg.Accounts {
		other, ok := earlier[m]
		if !ok {
			continue
		}
		switch id := auth.Tokens.Identity(); {
		case other.Tokens.RefreshToken == auth.Tokens.RefreshToken:
			return fmt.Sprintf("holds the same refresh token as account %d (a copy of %s): not used, so that token is never spent twice; remove this file or import a different ChatGPT account into it",
				m, codexauth.AccountFileName(m))
		case id != "" && other.Tokens.Identity() == id:
			return fmt.Sprintf("holds a login of the same ChatGPT user as account %d: not used (it adds no quota, and makes it ambiguous whose tokens LiteLLM holds); remove this file or import a different ChatGPT account into it",
				m)
		}
	}
	// A held pair (r.pending) is the successor of the spent token still in its own file.
	if _, held := r.pending[n]; !held && r.exchanged[fingerprint(auth.Tokens.RefreshToken)] {
		return "holds a refresh token this rotator has already exchanged (spent), with its successor stored elsewhere: not used; remove this file or import a new login into it"
	}
	return ""
}
