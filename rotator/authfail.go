package rotator

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// A request LiteLLM saw fail authentication says that something is wrong with the account
// that served it, but not what: ChatGPT refused its access token (HTTP 401/403: the session
// was revoked, or this machine's clock is off, or the request came from a region ChatGPT
// refuses), or LiteLLM's own refresh of it failed (its text then carries the token
// endpoint's code, or LiteLLM's device-login errors). Parking an account for good on that
// would, on a clock skew or a region 403, mark every account dead in turn. So the rotator
// switches away from the account at once (or fails fast when nothing is usable) and then
// checks its login by a refresh: only a dead-token answer from the token endpoint parks it
// until a new login (checkLogins).

// authFailure is an authentication failure LiteLLM reported.
type authFailure struct {
	start  time.Time // when the failed request started; zero if unknown
	status int       // HTTP status LiteLLM gave, 0 if none
	text   string
}

// authFailureMarkers are texts of a dead login in an error: the token endpoint's codes for
// a refresh token that can never work again, and the messages of LiteLLM's device-login
// path (common_utils.py's GetDeviceCodeError / GetAccessTokenError, authenticator.py),
// which it only reaches after its refresh failed.
var authFailureMarkers = []string{
	"refresh_token_expired", "refresh_token_reused", "refresh_token_invalidated", "invalid_grant",
	"token_revoked", "token_expired", "account_deactivated",
	"re-login required", "failed to request device code", "device authorization", "device code",
}

// authFailureOf returns the authentication failure a payload reports, if it reports one
// from the chatgpt provider: error code 401 or 403, an AuthenticationError or
// PermissionDeniedError, or a dead-login marker in the text.
func authFailureOf(p loggingPayload) (authFailure, bool) {
	if !chatgptFailure(p) {
		return authFailure{}, false
	}
	status := int(rawNumber(p.ErrorInformation.ErrorCode))
	if status == 0 {
		status = int(rawNumber(p.StatusCode))
	}
	text := errorText(p)
	class := p.ErrorInformation.ErrorClass
	is := status == 401 || status == 403 ||
		strings.Contains(class, "AuthenticationError") || strings.Contains(class, "PermissionDeniedError")
	if !is {
		lower := strings.ToLower(text)
		for _, m := range authFailureMarkers {
			if strings.Contains(lower, m) {
				is = true
				break
			}
		}
	}
	if !is || looksLikeEdgePage(text) {
		return authFailure{}, false
	}
	return authFailure{start: startOf(p), status: status, text: text}, true
}

// HandleAuthFailure takes the account that served a request LiteLLM saw fail
// authentication out of use and has its login checked by a refresh (checkLogins): if it
// is the active account, the rotator switches to the next usable one at once, with none
// usable LiteLLM's token file becomes the fail-fast file. Only a refresh that the token
// endpoint answers with a dead-token code parks it until a new device-auth login; a login
// that refreshes fine stays out for --transient-park. start is when the request started
// (zero if unknown).
func (r *Rotator) HandleAuthFailure(ctx context.Context, start time.Time, status int, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Clock.Now()
	r.newRound()
	r.observe(now)
	r.syncFlat(now)
	acct := r.chargedAccount(start, now)
	if at, ok := r.replacedSoonAfter(start, acct); ok {
		r.cfg.Logger.Printf("LiteLLM reported an authentication failure of a request that started %s before LiteLLM's token file was replaced (at %s): it may have sent the new file's token, so it is not charged to account %d",
			at.Sub(start).Round(time.Millisecond), at.UTC().Format(time.RFC3339Nano), acct)
		acct = 0
	}
	if acct == 0 {
		// Among them the fail-fast file's own refusals: no account served those.
		r.cfg.Logger.Printf("LiteLLM reported an authentication failure that cannot be charged to an account (request start %v); ignored", start)
		if r.status.Active != 0 {
			return
		}
	} else {
		what := "an authentication failure"
		if status != 0 {
			what = fmt.Sprintf("an authentication failure (HTTP %d)", status)
		}
		r.setError(acct, "LiteLLM reported "+what+": "+shorten(text, 300))
		a := r.acct(acct)
		switch parked, _ := r.parkedNow(acct, now); {
		case a.ParkedPermanently:
			// Known dead already.
		case parked && !a.CheckLogin:
			// Parked already: its login was checked since the last such report, or it is
			// out for another reason. The park stands; checking again on every report
			// would spend a token every few seconds while, say, a region refuses them all.
		default:
			a.CheckLogin = true
			r.park(acct, now.Add(r.cfg.TransientPark), checkLoginReason+" (LiteLLM reported "+what+")")
		}
		if acct == r.status.Active {
			r.forceSwitch = fmt.Sprintf("account %d failed authentication at ChatGPT", acct)
		}
	}
	r.settle(ctx, now)
}

// checkLoginReason opens the park reason of an account whose login is to be checked.
const checkLoginReason = "its login is checked by a refresh"

// checkLogins refreshes the accounts whose login is in doubt (CheckLogin): the token
// endpoint's answer decides. A dead-token code parks the account until a new login
// (refreshAccount); a successful refresh shows the login is fine, and the account stays
// out for --transient-park, since whatever failed LiteLLM's requests (a clock, a region,
// ChatGPT) may still be there. A check that could not be made (the endpoint failed, the
// volume, the tick's exchange budget) is made again later: right away if it was not
// attempted, after the park of a failed attempt otherwise. The active account (kept
// because no other one is usable) is refreshed ahead of LiteLLM the way the guard does it,
// so LiteLLM gets the new pair.
func (r *Rotator) checkLogins(ctx context.Context, now time.Time) {
	for _, n := range r.cfg.Accounts {
		a := r.acct(n)
		if !a.CheckLogin {
			continue
		}
		if a.ParkedPermanently {
			a.CheckLogin = false
			continue
		}
		if parked, _ := r.parkedNow(n, now); parked && !strings.HasPrefix(a.ParkReason, checkLoginReason) {
			continue // an earlier check failed (the endpoint, say): retried when that park ends
		}
		if _, held := r.pending[n]; held || ctx.Err() != nil {
			continue
		}
		auth, err := r.store.readAccount(n)
		if err != nil {
			continue // observe reports it
		}
		before := a.LastRefresh
		if n == r.status.Active && !r.seeding {
			f, err := r.store.readFlat()
			if err != nil || r.ownerOf(f) != n {
				continue
			}
			r.takeOver(ctx, n, f, now)
		} else {
			r.refreshAccount(ctx, n, auth, now)
		}
		now = r.cfg.Clock.Now()
		switch {
		case a.ParkedPermanently:
			// The endpoint said the refresh token is dead; parkForLogin named the command.
		case a.LastRefresh != before:
			a.CheckLogin = false
			r.park(n, now.Add(r.cfg.TransientPark), "its login refreshed fine, so it is not dead: the authentication failure came from elsewhere (this machine's clock, a region, ChatGPT)")
		}
	}
}

// authAttributionWindow: a request reads LiteLLM's token file after it starts (at once,
// or on a retry seconds later), so one that started within this window before the file was
// replaced may have sent the new file's token. Its authentication failure says nothing
// certain about the account active at its start (after a switch to the fail-fast file it is
// the fail-fast token's own refusal), and a permanent park would take a healthy account out
// until someone logs it in again. A dead account that escapes this way is found by its
// next refresh, or by the next failure of a request that started after the switch.
const authAttributionWindow = 30 * time.Second

// replacedSoonAfter reports whether LiteLLM's file stopped holding account acct within
// authAttributionWindow after start, and when.
func (r *Rotator) replacedSoonAfter(start time.Time, acct int) (time.Time, bool) {
	if acct == 0 || start.IsZero() {
		return time.Time{}, false
	}
	for _, h := range r.history {
		if h.at.After(start) && h.account != acct && h.at.Sub(start) <= authAttributionWindow {
			return h.at, true
		}
	}
	return time.Time{}, false
}

// looksLikeEdgePage reports a 403 that came from a CDN's bot check (an HTML page) rather
// than from ChatGPT's authentication: it says nothing about the account, and parking every
// account for a device login because of it would take the pool down for nothing.
func looksLikeEdgePage(text string) bool {
	lower := strings.ToLower(text)
	return strings.Contains(lower, "<html") || strings.Contains(lower, "just a moment") || strings.Contains(lower, "cf-ray")
}
