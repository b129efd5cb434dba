package rotator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"cloud-codex/codexauth"
)

// Tick is one round of the run loop: read the account files, reconcile with the flat
// file, rotate if the interval elapsed or the active account became unusable, and write
// the status file.
func (r *Rotator) Tick(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Clock.Now()
	r.newRound()
	r.observe(now)
	r.syncFlat(now)
	r.settle(ctx, now)
}

// due returns why the active account has to be replaced now, or "".
func (r *Rotator) due(now time.Time) string {
	active := r.status.Active
	switch {
	case r.forceSwitch != "":
		return r.forceSwitch
	case active == 0:
		return "no account is active"
	}
	if parked, why := r.parkedNow(active, now); parked {
		return fmt.Sprintf("account %d %s", active, why)
	}
	if why := r.duplicates[active]; why != "" {
		return fmt.Sprintf("account %d %s", active, why)
	}
	if r.cfg.Interval > 0 && (r.status.ActiveSince == nil || !now.Before(r.status.ActiveSince.Add(r.cfg.Interval))) {
		return fmt.Sprintf("rotation interval %s elapsed", r.cfg.Interval)
	}
	return ""
}

// rotate hands LiteLLM the next usable account after the active one, in round-robin
// order. The active account itself is never a candidate (guard.go looks after it). It
// reports whether it switched, and why each candidate was not usable.
func (r *Rotator) rotate(ctx context.Context, reason string) (bool, map[int]string) {
	active := r.status.Active
	var skipped []string
	reasons := map[int]string{}
	for _, n := range r.nextAfter(active) {
		now := r.cfg.Clock.Now() // read per candidate: an exchange for the previous one may have taken a while
		auth, why := r.prepare(ctx, n, now, prepareOpts{refresh: true})
		if why != "" {
			reasons[n] = why
			skipped = append(skipped, fmt.Sprintf("account %d: %s", n, why))
			continue
		}
		if err := r.switchTo(n, auth, now, reason); err != nil {
			// Whatever failed (saving the held tokens, writing the flat file) would fail
			// the same way for the next candidate: stay, and try again next tick.
			r.decide("%s, but not switching to account %d: %v; LiteLLM keeps %s", reason, n, err, accountOrNone(active))
			reasons[n] = err.Error()
			return false, reasons
		}
		return true, reasons
	}
	if active != 0 {
		r.decide("%s, but no other account is usable (%s); staying on account %d", reason, joinOrNone(skipped), active)
		return false, reasons
	}
	r.decide("%s, and no account in rotation is usable (%s)", reason, joinOrNone(skipped))
	return false, reasons
}

// nextAfter lists the accounts in rotation in round-robin order after active, without it.
func (r *Rotator) nextAfter(active int) []int {
	accts := r.cfg.Accounts
	start := 0
	for i, n := range accts {
		if n == active {
			start = i + 1
		}
	}
	var out []int
	for i := range accts {
		n := accts[(start+i)%len(accts)]
		if n != active {
			out = append(out, n)
		}
	}
	return out
}

func joinOrNone(s []string) string {
	if len(s) == 0 {
		return "no other account in rotation"
	}
	return strings.Join(s, "; ")
}

type prepareOpts struct {
	refresh     bool // refresh the account if its access token is (nearly) expired
	allowParked bool // accept a temporarily parked account (seed's last resort)
}

// prepare returns account n's auth file ready to hand to LiteLLM, refreshing it first if
// its access token expires within MinValidity, or why it cannot be used.
func (r *Rotator) prepare(ctx context.Context, n int, now time.Time, o prepareOpts) (codexauth.CodexAuth, string) {
	if _, ok := r.pending[n]; ok {
		return codexauth.CodexAuth{}, "refreshed tokens not yet written back to " + codexauth.AccountFileName(n)
	}
	if why := r.duplicates[n]; why != "" {
		return codexauth.CodexAuth{}, codexauth.AccountFileName(n) + " " + why
	}
	a := r.acct(n)
	if parked, why := r.parkedNow(n, now); parked && (a.ParkedPermanently || !o.allowParked) {
		return codexauth.CodexAuth{}, why
	}
	if a.CheckLogin {
		return codexauth.CodexAuth{}, "LiteLLM reported an authentication failure for it: not used until a refresh has checked its login"
	}
	auth, err := r.store.readAccount(n)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return codexauth.CodexAuth{}, codexauth.AccountFileName(n) + " does not exist (no login imported)"
	case err != nil:
		return codexauth.CodexAuth{}, err.Error()
	}
	exp, _ := codexauth.JWTExpiry(auth.Tokens.AccessToken)
	if exp.Sub(now) >= r.cfg.MinValidity {
		return auth, ""
	}
	if !o.refresh {
		return codexauth.CodexAuth{}, "access token expires " + exp.UTC().Format(time.RFC3339) + "; needs a refresh"
	}
	if ctx.Err() != nil {
		return codexauth.CodexAuth{}, "not refreshed: the rotator is stopping"
	}
	return r.refreshAccount(ctx, n, auth, now)
}

// refreshAccount refreshes an account (an inactive one, or the active one ahead of
// LiteLLM's refresh window: guard.go) and writes the new pair back to its file before
// anything uses it. It first proves the volume writable, so no token is spent on a pair
// that could not be stored. A failure parks the account according to what it means.
func (r *Rotator) refreshAccount(ctx context.Context, n int, auth codexauth.CodexAuth, now time.Time) (codexauth.CodexAuth, string) {
	if why := r.spendingBlocked(); why != "" {
		return codexauth.CodexAuth{}, why
	}
	if why := r.exchangeBudget(); why != "" {
		return codexauth.CodexAuth{}, why
	}
	if err := r.probeRefresh(n); err != nil {
		// Not the account's fault: it is not parked. Its last_error and action, and the
		// pool's remedy, name the volume (seed reports it as the volume problem it is if no
		// account ends up usable).
		r.volumeErr = err
		r.volumeBlocked[n] = err
		msg := "not refreshed: " + err.Error()
		r.setError(n, msg)
		return codexauth.CodexAuth{}, msg
	}
	if r.volumeBlocked[n] != nil {
		delete(r.volumeBlocked, n)
		if strings.HasPrefix(r.acct(n).LastError, "not refreshed: the auth volume") {
			r.clearError(n)
		}
	}
	watch := r.watchFlat(now)
	toks, err := r.ref.refresh(ctx, *auth.Tokens)
	// The exchange may have taken a while: what follows is measured from its end.
	now = r.cfg.Clock.Now()
	if watch.stop() {
		r.deactivate(now)
		r.forceSwitch = ""
		r.record("NOT READY: " + watch.why + ": LiteLLM's token file was replaced by the fail-fast file")
	}
	if err != nil {
		var re *refreshError
		if !errors.As(err, &re) {
			re = &refreshError{Kind: failTransient, Detail: err.Error()}
		}
		if re.Stopped {
			return codexauth.CodexAuth{}, "not refreshed: the rotator is stopping"
		}
		if re.NewRefreshToken != "" {
			r.keepNewRefreshToken(n, auth, re.NewRefreshToken)
		}
		msg := re.Error()
		switch {
		case re.Kind == failConfig:
			msg += "; the token endpoint refused the OAuth client, not the refresh token: check --client-id and --token-url (a configuration problem; no login would help)"
		case re.Kind == failTransient && re.Status == http.StatusUnauthorized:
			msg += "; an HTTP 401 without a dead-token code is no verdict on the refresh token (a gateway or proxy in the way?): retried"
		}
		r.setError(n, msg)
		switch re.Kind {
		case failNeedsLogin:
			r.acct(n).TokenFingerprint = fingerprint(auth.Tokens.RefreshToken)
			r.parkForLogin(n, "refresh token rejected: "+msg, strings.ToLower(re.Code))
		case failConfig:
			r.park(n, now.Add(r.cfg.TransientPark), "the token endpoint refused the OAuth client ("+re.Code+"): check --client-id and --token-url")
		case failUsageLimit:
			until, _ := r.cfg.limitPark(re.Code+" "+re.Detail, now)
			r.park(n, until, "usage limit reached (HTTP 429 from the token endpoint)")
		case failRateLimited:
			r.park(n, now.Add(r.cfg.TransientPark), "rate limited (HTTP 429 from the token endpoint)")
		default:
			r.park(n, now.Add(r.cfg.TransientPark), "refresh failed, will retry: "+msg)
		}
		return codexauth.CodexAuth{}, msg
	}
	if toks.RefreshToken != auth.Tokens.RefreshToken {
		r.spentByRotator(n, auth.Tokens.RefreshToken)
	}
	next := auth
	next.Tokens = &toks
	next.LastRefresh = now.UTC().Format(time.RFC3339)
	a := r.acct(n)
	a.LastRefresh = timePtr(now)
	exp, _ := codexauth.JWTExpiry(toks.AccessToken)
	why, imported, err := r.writeUnlessImported(n, auth.Tokens.RefreshToken, next)
	if imported {
		return codexauth.CodexAuth{}, why
	}
	if err != nil {
		r.pending[n], r.pendingErr = heldPair{auth: next, spent: auth.Tokens.RefreshToken}, err
		msg := "refreshed, but writing the new pair back failed (retried every tick; not used until written): " + err.Error()
		r.setError(n, msg)
		return codexauth.CodexAuth{}, msg
	}
	a.TokenFingerprint = fingerprint(toks.RefreshToken)
	a.AccessTokenExpiresAt = timePtr(exp)
	r.clearError(n)
	r.cfg.Logger.Printf("account %d: refreshed (access token valid until %s); new pair written back to %s",
		n, exp.UTC().Format(time.RFC3339), codexauth.AccountFileName(n))
	if left := exp.Sub(now); left < r.cfg.MinValidity {
		// Stored (the old refresh token is spent), but not for LiteLLM: a token inside the
		// validity floor would put LiteLLM into its own refresh within minutes. Nothing is
		// wrong with the login; the endpoint or this machine's clock is off, so the account
		// is retried after a short park.
		msg := fmt.Sprintf("refreshed and saved, but the new access token is valid only until %s (%s from now, under the %s needed to hand it to LiteLLM): check this machine's clock and the token endpoint",
			exp.UTC().Format(time.RFC3339), left.Round(time.Second), r.cfg.MinValidity)
		r.setError(n, msg)
		r.park(n, now.Add(r.cfg.TransientPark), "the token endpoint issued a short-lived access token")
		return codexauth.CodexAuth{}, msg
	}
	return next, ""
}

// importedMeanwhile handles a login imported into account n's slot since its refresh token
// spent was sent for the pair next (an operator ran auth-login n while the exchange was in
// flight, or while next was held because the volume refused it; auth-login does not wait
// for the rotator): writing next over it would silently lose the login the import has
// just reported as stored. The import is what the operator wants in the slot, so it stays,
// and next, whose predecessor is spent, is saved to a rescue file. It reports whether a
// login was imported, and then why the account is not used now. If the rescue file cannot
// be written, next is held in memory (r.pending, retried every tick) rather than written
// over the import: nothing is lost while the process lives.
func (r *Rotator) importedMeanwhile(n int, spent string, next codexauth.CodexAuth) (string, bool) {
	cur, err := r.store.readAccount(n)
	if err != nil || cur.Tokens.RefreshToken == spent || cur.Tokens.RefreshToken == next.Tokens.RefreshToken {
		return "", false
	}
	name, err := r.store.writeRescueAuth(next)
	if err != nil {
		r.pending[n], r.pendingErr = heldPair{auth: next, spent: spent}, err
		msg := fmt.Sprintf("a new login was imported into %s while its previous login's refreshed pair was on its way there; saving that pair to a rescue file failed (retried every tick; the import is kept): %v",
			codexauth.AccountFileName(n), err)
		r.setError(n, msg)
		return msg, true
	}
	delete(r.pending, n)
	msg := fmt.Sprintf("a new login was imported into %s while its previous login was being refreshed: the import is kept, and the previous login's refreshed pair was saved to %s",
		codexauth.AccountFileName(n), name)
	r.cfg.Logger.Printf("account %d: %s", n, msg)
	return msg, true
}

// writeUnlessImported writes next, the successor of spent, to account n's file unless a
// login was imported there meanwhile (then next goes to a rescue file: importedMeanwhile).
// The check and the write happen under the volume's writer lock, so an import cannot land
// between them.
func (r *Rotator) writeUnlessImported(n int, spent string, next codexauth.CodexAuth) (why string, imported bool, err error) {
	defer r.store.lockAccounts()()
	if why, imported := r.importedMeanwhile(n, spent, next); imported {
		return why, true, nil
	}
	return "", false, r.store.writeAccount(n, next)
}

// keepNewRefreshToken stores a refresh token from an otherwise unusable refresh answer:
// the old one may already be spent.
func (r *Rotator) keepNewRefreshToken(n int, auth codexauth.CodexAuth, rt string) {
	keep := auth
	toks := *auth.Tokens
	toks.RefreshToken = rt
	keep.Tokens = &toks
	_, imported, err := r.writeUnlessImported(n, auth.Tokens.RefreshToken, keep)
	if imported {
		return
	}
	if err != nil {
		r.pending[n], r.pendingErr = heldPair{auth: keep, spent: auth.Tokens.RefreshToken}, err
		return
	}
	r.acct(n).TokenFingerprint = fingerprint(rt)
}

// switchTo makes LiteLLM use account n: the tokens the flat file holds now are stored
// first (copied back to their account, or rescued), then the flat file is replaced.
func (r *Rotator) switchTo(n int, auth codexauth.CodexAuth, now time.Time, reason string) error {
	note, err := r.keepFlatTokens(now)
	if err != nil {
		return fmt.Errorf("saving the tokens LiteLLM holds: %w", err)
	}
	if err := r.handOver(n, auth, auth.Tokens.RefreshToken); err != nil {
		return err
	}
	prev := r.status.Active
	r.activate(n, now)
	r.forceSwitch = ""
	r.decide("switched from %s to account %d: %s%s", accountOrNone(prev), n, reason, note)
	return nil
}
