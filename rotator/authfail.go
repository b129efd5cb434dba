package rotator

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// A request LiteLLM saw fail authentication tells the rotator that the account which
// served it is dead: ChatGPT refused its access token (HTTP 401/403, the session was
// revoked), or LiteLLM's own refresh of it failed (refresh_token_expired / _reused /
// _invalidated; LiteLLM then goes on to its device login, whose failure text also ends up
// in the payload). The rotator parks that account until a new login is imported and, if
// it is the active one, switches away at once, or fails fast when nothing is usable.

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

// HandleAuthFailure parks the account that served a request LiteLLM saw fail
// authentication until a new device-auth login is imported (the log and the status file
// name the auth-login command) and, if it is the active account, switches to the next
// usable one at once; with none usable, LiteLLM's token file becomes the fail-fast file.
// start is when the request started (zero if unknown).
func (r *Rotator) HandleAuthFailure(ctx context.Context, start time.Time, status int, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Clock.Now()
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
		if !r.acct(acct).ParkedPermanently {
			r.parkForLogin(acct, "LiteLLM reported "+what)
		}
		if acct == r.status.Active {
			r.forceSwitch = fmt.Sprintf("account %d failed authentication at ChatGPT", acct)
		}
	}
	r.settle(ctx, now)
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
