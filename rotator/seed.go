package rotator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cloud-codex/codexauth"
)

// NoUsableAccountError is seed's answer when no account in rotation can be given to
// LiteLLM. Nothing was written to the flat file.
type NoUsableAccountError struct {
	Accounts []int
	Reasons  []string // one per account
	// Login is the account an operator should log in first, and Command how; 0 and "" when
	// no account needs a login.
	Login   int
	Command string
	// NeedsLogin is set when every account's login is missing, invalid or dead: only a
	// login helps. Otherwise at least one account may come back by itself (the token
	// endpoint recovers, a park ends).
	NeedsLogin bool
}

func (e *NoUsableAccountError) Error() string {
	return fmt.Sprintf("no usable ChatGPT account among accounts %s in rotation (%s)",
		FormatAccountList(e.Accounts), strings.Join(e.Reasons, "; "))
}

// Remedy says what makes an account usable: a login only where one is needed.
func (e *NoUsableAccountError) Remedy() string {
	switch {
	case e.NeedsLogin:
		return "LiteLLM will not start until a login is imported; run: " + e.Command
	case e.Login != 0:
		return "LiteLLM starts once an account recovers by itself, or once a login is imported for the account that needs one: " + e.Command
	}
	return "no login is needed: the logins are fine, but the token endpoint or a temporary park is in the way; LiteLLM starts once an account recovers"
}

// Seed writes a valid flat token file from the best account in rotation, or returns a
// *NoUsableAccountError and writes nothing. It runs in an init container, before
// LiteLLM starts: nothing else refreshes any account meanwhile, so unlike the run loop it
// may refresh even the account the flat file already holds.
//
// Preference: the account the flat file already holds (a pod restart keeps its account),
// then the accounts in rotation order; an account whose access token is valid for
// MinValidity first, then one that can be refreshed (its new pair is written back to its
// auth-N.json before the flat file), then, as a last resort, an account that is parked
// only temporarily (a usage-limited account still keeps LiteLLM out of device login).
//
// Before anything else it proves that the auth volume takes writes (a *VolumeError
// otherwise, and no token is spent). If a refreshed pair still cannot be written back, it
// stops at once with an *UnsavedTokensError: no further token is spent, and SeedWait keeps
// the process alive retrying the write.
func (r *Rotator) Seed(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seeding = true
	defer func() { r.seeding = false }()
	now := r.cfg.Clock.Now()
	if err := r.probeWritable(); err != nil {
		r.writePending() // nothing is refreshed while the volume fails, but a held pair is retried
		if u := r.unsaved(); u != nil {
			return 0, u
		}
		r.cfg.Logger.Printf("seed: %v", err)
		return 0, err
	}
	r.recoverTemps()
	r.volumeErr = nil
	r.observe(now)
	defer r.saveStatus()
	if u := r.unsaved(); u != nil {
		return 0, u
	}

	// Whatever the flat file holds is stored before anything else happens.
	if _, err := r.keepFlatTokens(now); err != nil {
		r.decide("seed: cannot save the tokens in the existing flat token file: %v", err)
		return 0, fmt.Errorf("seed: saving the flat token file's tokens: %w", err)
	}
	// Logins in doubt (LiteLLM reported an authentication failure) are checked first:
	// LiteLLM is not running, so each is simply refreshed.
	r.checkLogins(ctx, now)
	if u := r.unsaved(); u != nil {
		r.decide("seed: %v", u)
		return 0, u
	}
	order := slices.Clone(r.cfg.Accounts)
	if f, err := r.store.readFlat(); err == nil {
		if owner := r.ownerOf(f); owner != 0 {
			order = append([]int{owner}, slices.DeleteFunc(order, func(n int) bool { return n == owner })...)
		}
	}

	// The last-resort pass only takes accounts that were parked before this call: an
	// account whose refresh just failed in the second pass is not tried again at once.
	var parkedBefore []int
	for _, n := range order {
		if parked, _ := r.parkedNow(n, now); parked {
			parkedBefore = append(parkedBefore, n)
		}
	}
	reasons := map[int]string{}
	passes := []struct {
		opts  prepareOpts
		accts []int
	}{
		{prepareOpts{}, order},
		{prepareOpts{refresh: true}, order},
		{prepareOpts{refresh: true, allowParked: true}, parkedBefore},
	}
	for _, p := range passes {
		for _, n := range p.accts {
			o := p.opts
			auth, why := r.prepare(ctx, n, now, o)
			if u := r.unsaved(); u != nil {
				// A pair was refreshed but not stored: spend no other token.
				r.decide("seed: %v", u)
				return 0, u
			}
			if why != "" {
				reasons[n] = why
				continue
			}
			if err := r.seedWith(n, auth, now); err != nil {
				return 0, err
			}
			return n, nil
		}
	}

	if r.volumeErr != nil {
		// An account could not be refreshed because its files cannot be replaced: that is
		// the operator's problem to fix, and no login would help.
		r.status.Active = 0
		r.record(fmt.Sprintf("seed: no account is usable and %v", r.volumeErr)) // the command logs it
		return 0, r.volumeErr
	}
	e := r.noUsableAccount(reasons)
	r.status.Active = 0
	// SeedWait logs the one line per attempt; the status file says the same.
	r.record(fmt.Sprintf("seed: %v. %s", e, e.Remedy()))
	return 0, e
}

func (r *Rotator) seedWith(n int, auth codexauth.CodexAuth, now time.Time) error {
	// Account n may already be in the flat file (then this rewrites the same or a freshly
	// refreshed pair): keepFlatTokens above has stored whatever was there.
	if err := r.handOver(n, auth, auth.Tokens.RefreshToken); err != nil {
		r.decide("seed: writing the flat token file for account %d failed: %v", n, err)
		return fmt.Errorf("seed: account %d: %w", n, err)
	}
	exp, _ := codexauth.JWTExpiry(auth.Tokens.AccessToken)
	r.activate(n, now)
	r.forceSwitch = ""
	r.decide("seed: LiteLLM gets account %d (access token valid until %s)", n, exp.UTC().Format(time.RFC3339))
	return nil
}

func (r *Rotator) noUsableAccount(reasons map[int]string) *NoUsableAccountError {
	e := &NoUsableAccountError{Accounts: r.cfg.Accounts, NeedsLogin: true}
	for _, n := range r.cfg.Accounts {
		why := reasons[n]
		if why == "" {
			why = "not usable"
		}
		e.Reasons = append(e.Reasons, fmt.Sprintf("account %d: %s", n, why))
		if !r.needsLogin(n) {
			e.NeedsLogin = false
		}
	}
	if e.Login = r.loginNeeded(); e.Login != 0 {
		e.Command = r.cfg.LoginCommand(e.Login)
	}
	return e
}

// SeedWait runs Seed until it succeeds. While no account is usable it logs one line per
// attempt naming the command that imports a login, and polls every waitInterval: the
// init container, and with it the pod, stays in Init (LiteLLM never starts without a
// valid token file, so it never falls into its in-request device login). The device-auth
// station runs as a native sidecar, started before seed, so the import can happen while
// seed waits. With wait false it returns the *NoUsableAccountError instead.
func SeedWait(ctx context.Context, cfg Config, waitInterval time.Duration, wait bool) (int, error) {
	r, err := New(cfg)
	if err != nil {
		return 0, err
	}
	if waitInterval <= 0 {
		waitInterval = 30 * time.Second
	}
	for {
		n, err := r.Seed(ctx)
		var none *NoUsableAccountError
		var unsaved *UnsavedTokensError
		switch {
		case errors.As(err, &unsaved):
			if ctx.Err() != nil {
				// Stopped (the exchange that produced the pair ran on after the signal):
				// one last attempt inside the termination grace period, then the pair is
				// lost with the process, and the error says which login brings it back.
				return 0, r.stopped(ctx)
			}
			// Exiting now would lose the only copy of a refreshed pair, with or without
			// --no-wait: keep retrying the write until it succeeds or the pod is stopped.
			r.cfg.Logger.Printf("UNSAVED: %v (retrying in %s)", unsaved, waitInterval)
		case err == nil || !errors.As(err, &none) || !wait:
			return n, err
		default:
			r.cfg.Logger.Printf("WAITING: %v. %s (checking again in %s)", none, none.Remedy(), waitInterval)
		}
		t := time.NewTimer(waitInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, r.stopped(ctx)
		case <-t.C:
		}
	}
}

// stopped is SeedWait's answer once ctx has ended: a held pair gets one last write
// attempt; if it still fails, the *UnsavedTokensError (Lost) names the login that brings
// its account back.
func (r *Rotator) stopped(ctx context.Context) error {
	if err := r.retryPending(); err != nil {
		return err
	}
	return ctx.Err()
}

// retryPending tries once more, as the process stops, to write refreshed pairs that are
// held in memory only, and returns an *UnsavedTokensError (Lost) for those still not stored.
func (r *Rotator) retryPending() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writePending()
	r.saveStatus()
	return r.lostOnStop()
}
