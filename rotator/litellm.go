package rotator

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// What LiteLLM's chatgpt provider does with its flat token file, as far as the rotator
// relies on it. Source: litellm/llms/chatgpt/authenticator.py (BerriAI/litellm), the
// filesystem Authenticator that responses/transformation.py's validate_environment calls on
// every request:
//
//	def get_access_token(self) -> str:
//	    auth_data = self._read_auth_file()
//	    if auth_data:
//	        access_token = auth_data.get("access_token")
//	        if access_token and not self._is_token_expired(auth_data, access_token):
//	            return access_token
//	        refresh_token = auth_data.get("refresh_token")
//	        if refresh_token:
//	            try: return self._refresh_tokens(refresh_token)["access_token"]
//	            except RefreshAccessTokenError: ...warning "re-login required"
//	    ...cooldown wait (device_code_requested_at), then
//	    tokens = self._login_device_code()
//
// and _is_token_expired: expires_at = auth_data.get("expires_at"); if it is None it is
// derived from the JWT (and the file rewritten); then
// time.time() >= float(expires_at) - TOKEN_EXPIRY_SKEW_SECONDS (60).
//
// So the first branch is the only one that can never reach _login_device_code(): a JSON
// object whose access_token is non-empty and whose expires_at is a number more than 60 s
// ahead. Every other content (missing or unparsable file, expired token) goes through
// LiteLLM's own refresh, and a failed refresh is the device login, inside the request and
// on the proxy's event loop. The rotator therefore keeps the flat file in that first branch
// at all times: it refreshes or replaces the active account's tokens before LiteLLM's skew
// window opens (guard.go), and when no account is usable it writes a fail-fast file that
// stays in that branch forever and makes every call fail upstream at once.

// liteLLMRefreshSkew is LiteLLM's TOKEN_EXPIRY_SKEW_SECONDS: it treats a token as expired,
// and refreshes it, this long before expires_at.
const liteLLMRefreshSkew = 60 * time.Second

// liteLLMServes reports why LiteLLM, reading data as its flat token file at time at, would
// not simply return the file's access token (nil: it would, without refreshing and
// without any device login). It mirrors get_access_token's first branch above.
func liteLLMServes(data []byte, at time.Time) error {
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("not a JSON object (LiteLLM's _read_auth_file returns None: device login): %w", err)
	}
	if f == nil {
		return errors.New("null (LiteLLM's _read_auth_file returns None: device login)")
	}
	if tok, _ := f["access_token"].(string); tok == "" {
		return errors.New("no access_token (LiteLLM refreshes, and a failed refresh is its device login)")
	}
	var exp float64
	switch v := f["expires_at"].(type) {
	case float64:
		exp = v
	case string:
		p, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("expires_at %q is not a number (LiteLLM's float() raises)", v)
		}
		exp = p
	default:
		return errors.New("no numeric expires_at (LiteLLM derives one and rewrites the file in place)")
	}
	if float64(at.Unix()) >= exp-liteLLMRefreshSkew.Seconds() {
		return fmt.Errorf("expires_at %s is within LiteLLM's 60 s refresh skew at %s (LiteLLM refreshes, and a failed refresh is its device login)",
			time.Unix(int64(exp), 0).UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	return nil
}

// The fail-fast file is what the flat file holds while no account is usable. LiteLLM takes
// its access_token at once (expires_at is far ahead, so it never refreshes, and it never
// rewrites the file: account_id and expires_at are present) and sends it to ChatGPT, which
// refuses it: every model call fails within one upstream round trip with an authentication
// error, and LiteLLM never starts a device login. It holds no credential.
type failFastFile struct {
	AccessToken  string       `json:"access_token"`
	RefreshToken string       `json:"refresh_token"`
	IDToken      string       `json:"id_token"`
	ExpiresAt    int64        `json:"expires_at"`
	AccountID    string       `json:"account_id"`
	Rotator      failFastNote `json:"codex_auth_rotator"`
}

// failFastNote says, in the file itself, why it is there (LiteLLM ignores unknown keys).
type failFastNote struct {
	NoUsableAccount string    `json:"no_usable_account"`
	Since           time.Time `json:"since"`
	Action          string    `json:"action"`
}

const (
	// failFastAccessToken is no token at all: ChatGPT answers it with 401.
	failFastAccessToken = "no-usable-chatgpt-account"
	// failFastExpiresAt (2100-01-01T00:00:00Z) keeps LiteLLM from ever refreshing.
	failFastExpiresAt = 4102444800
)

// errFailFast is readFlat's answer for the fail-fast file: no account's tokens.
var errFailFast = errors.New("the flat token file is the rotator's fail-fast file (no usable account)")

// isFailFast reports whether data is the fail-fast file.
func isFailFast(data []byte) bool {
	var probe struct {
		Rotator *failFastNote `json:"codex_auth_rotator"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.Rotator != nil
}
