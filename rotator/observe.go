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
		if a.State == StateMissing || a.State == StateInvalid || a.State == StateUnreadable {
			a.State = "" // readable again; deriveStates decides what it is now
			r.clearError(n)
		}
		exp, _ := codexauth.JWTExpiry(auth.Tokens.AccessToken) // ParseCodexAuth checked it
		a.AccessTokenExpiresAt = timePtr(exp)
		fp := fingerprint(auth.Tokens.RefreshToken)
		if a.ParkedPermanently && a.TokenFingerprint != "" && a.TokenFingerprint != fp {
			a.ParkedPermanently, a.NeedsDeviceAuth, a.ParkReason = false, false, ""
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

// writePending retries writing refreshed token sets whose write-back failed.
func (r *Rotator) writePending() {
	for n, auth := range r.pending {
		if err := r.store.writeAccount(n, auth); err != nil {
			r.pendingErr = err
			r.setError(n, "refreshed tokens still not written back (account not used until they are): "+err.Error())
			continue
		}
		delete(r.pending, n)
		r.clearError(n)
		r.cfg.Logger.Printf("account %d: refreshed tokens written back to %s", n, codexauth.AccountFileName(n))
	}
}
