package rotator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloud-codex/codexauth"
)

// LiteLLM's own refresh is where its device login starts (litellm.go): if the refresh of
// the account its flat file holds fails, LiteLLM falls into _login_device_code() inside
// the request. So the rotator never waits for LiteLLM to find out that an account is dead.
// Every tick it makes sure the flat file stays in the branch of LiteLLM's get_access_token
// that returns the token as it is:
//
//   - When the active account's access token expires within activeLead, the rotator
//     refreshes that account itself, while LiteLLM's refresh window (the last 60 s) is
//     still minutes away, and hands LiteLLM the new pair. The two refreshers are thus
//     separated in time: the rotator starts only while more than takeoverCutoff is left,
//     and should its exchange still be waiting for an answer when failFastLeft is left,
//     the watch over LiteLLM's file (watch.go) puts the fail-fast file there: LiteLLM never
//     refreshes, or presents a token the rotator may have spent.
//   - If that refresh fails, or it is too late for it, the rotator switches to another
//     usable account at once.
//   - If no account is usable, or the active account is dead, it writes the fail-fast file:
//     calls fail at once, the pool reports not ready (Status.Ready), and LiteLLM never
//     starts a device login. Time is measured again after every exchange, and the fail-fast
//     file goes in as soon as too little is left for the next tick to act in time.
//
// LiteLLM refreshing by itself remains only as the fallback for a rotator that is not
// running; its refreshed tokens are still copied back (flatsync.go).

const (
	// activeLead is how long before the active access token expires the rotator takes it
	// over. It is shorter than DefaultMinValidity, so an account just handed to LiteLLM is
	// not taken over at once, and longer than takeoverCutoff plus one tick, so the rotator
	// gets at least two ticks to refresh before it has to switch.
	activeLead = 5 * time.Minute
	// takeoverCutoff: the rotator refreshes the active account itself only while more than
	// this is left: an ordinary exchange and the writes after it then end before
	// failFastLeft, and LiteLLM's refresh window (liteLLMRefreshSkew before expiry) is
	// further off still. A slow one is covered by the watch (watch.go).
	takeoverCutoff = failFastLeft + 30*time.Second
)

// guard runs at the end of every tick and after every event that may have made the active
// account unusable: LiteLLM's flat file must hold an account that LiteLLM can serve
// without refreshing it, or else the fail-fast file.
func (r *Rotator) guard(ctx context.Context, now time.Time) {
	r.guardExpiry(ctx, now)
	r.guardDead(now)
}

// guardExpiry takes the active account over from LiteLLM before LiteLLM would refresh it.
func (r *Rotator) guardExpiry(ctx context.Context, now time.Time) {
	active := r.status.Active
	if active == 0 || ctx.Err() != nil {
		return // nothing to guard, or stopping: the next process guards it
	}
	f, err := r.store.readFlat()
	if err != nil || r.ownerOf(f) != active {
		return // syncFlat decided what this means
	}
	exp := f.Expiry()
	left := exp.Sub(now)
	if left > activeLead {
		return
	}
	when := fmt.Sprintf("account %d's access token expires at %s", active, exp.UTC().Format(time.RFC3339))
	if left > takeoverCutoff && !r.acct(active).ParkedPermanently {
		why := r.takeOver(ctx, active, f, now)
		if why == "" {
			return
		}
		when += "; refreshing it ahead of LiteLLM failed: " + why
		r.rotate(ctx, when)
		// The exchanges took time: how much is left is measured again.
		now = r.cfg.Clock.Now()
		left = exp.Sub(now)
		switch {
		case r.status.Active != active:
			// Switched, or the watch put the fail-fast file in place meanwhile.
			if r.status.Active == 0 {
				r.failFast(now, when+" and no account can replace it")
			}
			return
		case !r.acct(active).ParkedPermanently && left-checkEvery > failFastLeft:
			// Not switched, but the failure may pass: the next tick tries again, and is
			// still in time to fail fast should that fail too.
			return
		}
	} else if switched, _ := r.rotate(ctx, when+": too close to LiteLLM's own refresh to refresh it here"); switched {
		r.quarantine(active, left, now)
		return
	}
	now = r.cfg.Clock.Now()
	left = exp.Sub(now)
	// Parked first, so the fail-fast file and the status say that the account comes back
	// by itself when the park ends.
	r.quarantine(active, left, now)
	r.failFast(now, when+" and no account can replace it")
}

// takeOver refreshes the active account n ahead of LiteLLM and hands LiteLLM the new pair.
// It returns why it did not.
func (r *Rotator) takeOver(ctx context.Context, n int, f codexauth.FlatToken, now time.Time) string {
	if _, ok := r.pending[n]; ok {
		return "an earlier refreshed pair is not written back yet"
	}
	// syncFlat copied the flat file's tokens back to auth-N.json this tick if they were
	// newer, so the account file holds the account's newest pair: the same as the flat
	// file, or a later generation (a new login imported into the slot) that is refreshed
	// here instead of the superseded one LiteLLM holds. A login imported after the
	// rotator's hand-over may carry an older access token than that pair: it is refreshed
	// here too once copyBack has rescued the pair (replacesHandOver).
	auth, err := r.store.readAccount(n)
	if err != nil {
		return err.Error()
	}
	if auth.Tokens.RefreshToken != f.RefreshToken && newerTokens(f.Tokens(), *auth.Tokens) && !r.replacesHandOver(n, f, auth) {
		return "the flat token file's tokens are not saved in " + codexauth.AccountFileName(n)
	}
	next, why := r.refreshAccount(ctx, n, auth, now)
	now = r.cfg.Clock.Now()
	if pending, ok := r.pending[n]; ok {
		// Refreshed, but auth-N.json could not be written: the old refresh token is spent,
		// and LiteLLM must not present it. The flat file is the other place on the volume,
		// but only for a pair LiteLLM may be given: one valid for MinValidity.
		exp, _ := codexauth.JWTExpiry(pending.auth.Tokens.AccessToken)
		if left := exp.Sub(now); left < r.cfg.MinValidity {
			return fmt.Sprintf("%s; the held pair's access token is valid only until %s (%s from now, under the %s needed to hand it to LiteLLM)",
				why, exp.UTC().Format(time.RFC3339), left.Round(time.Second), r.cfg.MinValidity)
		}
		if err := r.handOver(n, pending.auth, pending.spent); err == nil {
			r.reactivate(n, now)
			r.decide("account %d: refreshed ahead of LiteLLM; %s could not be written, so LiteLLM's token file holds the only stored copy of the new pair (copied back once the volume takes writes)",
				n, codexauth.AccountFileName(n))
			return ""
		}
		return why
	}
	if why != "" {
		return why
	}
	if err := r.handOver(n, next, next.Tokens.RefreshToken); err != nil {
		return "refreshed and saved in " + codexauth.AccountFileName(n) + ", but writing LiteLLM's token file failed: " + err.Error()
	}
	r.reactivate(n, now)
	exp, _ := codexauth.JWTExpiry(next.Tokens.AccessToken)
	r.decide("account %d: refreshed ahead of LiteLLM's own refresh (access token now valid until %s); LiteLLM keeps account %d",
		n, exp.UTC().Format(time.RFC3339), n)
	return ""
}

// reactivate records that LiteLLM holds account n again after its own refreshed pair was
// written to LiteLLM's file: a no-op unless the watch put the fail-fast file there while
// the exchange was waiting (then n is active again from now).
func (r *Rotator) reactivate(n int, now time.Time) {
	if r.status.Active != n {
		r.activate(n, now)
	}
}

// quarantine keeps the rotator from refreshing an account it took from LiteLLM inside
// LiteLLM's refresh window: LiteLLM may have sent that refresh token itself a moment
// before. LiteLLM's HTTP client gives up long before the park ends; if its refresh lands,
// syncFlat adopts and saves what it wrote.
func (r *Rotator) quarantine(n int, left time.Duration, now time.Time) {
	if left > liteLLMRefreshSkew {
		return
	}
	r.park(n, now.Add(r.cfg.TransientPark), "taken from LiteLLM inside its refresh window: not refreshed until LiteLLM cannot be refreshing it")
}

// guardDead writes the fail-fast file when LiteLLM's flat file holds nothing usable and no
// account could replace it: the active account is dead, or no account in rotation is
// active (the flat file missing, unparsable, or holding another login's tokens).
func (r *Rotator) guardDead(now time.Time) {
	active := r.status.Active
	switch {
	case active != 0 && r.acct(active).ParkedPermanently:
		r.failFast(now, fmt.Sprintf("account %d needs a new device-auth login (%s) and no other account is usable", active, r.acct(active).ParkReason))
	case active == 0:
		if _, err := r.store.readFlat(); errors.Is(err, errFailFast) {
			return // failing fast already
		}
		r.failFast(now, "no account in rotation is usable")
	}
}

// failFast stores what the flat file holds (copied back or rescued), then replaces it with
// the fail-fast file. The pool is not ready until an account is usable again.
func (r *Rotator) failFast(now time.Time, why string) {
	note, err := r.keepFlatTokens(now)
	if err != nil {
		// Replacing the file would lose the tokens it holds.
		r.decide("%s, but the tokens in LiteLLM's token file cannot be saved (%v): leaving it as it is", why, err)
		return
	}
	action := r.remedy(now, "log an account in: ")
	if err := r.store.writeFailFast(why, action, now); err != nil {
		r.decide("%s, but writing the fail-fast token file failed: %v", why, err)
		return
	}
	prev := r.status.Active
	r.deactivate(now)
	r.forceSwitch = ""
	r.decide("NOT READY: %s (%s). LiteLLM's token file now makes every model call fail at once instead of letting LiteLLM start its device login%s; %s",
		why, r.accountSummary(now, prev), note, action)
}

// accountSummary says in a few words why each account in rotation is not in use.
func (r *Rotator) accountSummary(now time.Time, was int) string {
	var parts []string
	for _, n := range r.cfg.Accounts {
		a := r.acct(n)
		why := "not usable"
		switch parked, reason := r.parkedNow(n, now); {
		case a.State == StateMissing:
			why = codexauth.AccountFileName(n) + " does not exist"
		case a.State == StateInvalid:
			why = "invalid: " + a.LastError
		case a.State == StateUnreadable:
			why = "cannot be read: " + a.LastError
		case parked:
			why = reason
		case n == was:
			why = "was active"
		}
		parts = append(parts, fmt.Sprintf("account %d: %s", n, why))
	}
	return strings.Join(parts, "; ")
}
