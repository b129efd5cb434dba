package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The ChatGPT provider's token file, as litellm/llms/chatgpt/authenticator.py
// (class Authenticator) reads it. Every constant and rule below is that file's.
const (
	// Authenticator.__init__: token_dir = $CHATGPT_TOKEN_DIR (default
	// ~/.config/litellm/chatgpt), auth_file = token_dir/$CHATGPT_AUTH_FILE (default auth.json).
	defaultAuthFile = "auth.json"
	// TOKEN_EXPIRY_SKEW_SECONDS: a token expiring within a minute counts as expired.
	tokenExpirySkew = 60 * time.Second
	// DEVICE_CODE_COOLDOWN_SECONDS and DEVICE_CODE_TIMEOUT_SECONDS, quoted in the errors.
	deviceCodeCooldown = 5 * time.Minute
	deviceCodeTimeout  = 15 * time.Minute
	// _extract_account_id reads this claim of the id token (else the access token).
	authClaim = "https://api.openai.com/auth"
)

// tokenSource reads the flat token file. It keeps nothing between requests:
// Authenticator.get_access_token calls _read_auth_file on every call, which is what lets the
// rotator switch accounts by replacing the file.
type tokenSource struct {
	path string
	now  func() time.Time
}

func newTokenSource(getenv func(string) string) (tokenSource, error) {
	dir := getenv("CHATGPT_TOKEN_DIR")
	if dir == "" {
		// The real default is ~/.config/litellm/chatgpt under the image's HOME; the pool always
		// sets the variable, and the stand-in will not guess a path on a read-only root.
		return tokenSource{}, errors.New("CHATGPT_TOKEN_DIR is not set (the pool sets it to the chatgpt-auth volume)")
	}
	name := getenv("CHATGPT_AUTH_FILE")
	if name == "" {
		name = defaultAuthFile
	}
	return tokenSource{path: filepath.Join(dir, name), now: time.Now}, nil
}

// credentials is what the provider sends upstream.
type credentials struct {
	accessToken string
	accountID   string // empty: no ChatGPT-Account-Id header
}

// loginRequired is the state in which the real LiteLLM would not answer but start an
// interactive device-code login inside the request. The stand-in fails the request with it.
type loginRequired struct {
	path string
	// why is the state of the file, e.g. "is missing".
	why string
	// wouldDo is what Authenticator.get_access_token does next.
	wouldDo string
	// refresh is set when LiteLLM would first refresh the token itself (a refresh token is
	// there), which usually succeeds: the request would most likely be served.
	refresh bool
}

func (e *loginRequired) Error() string {
	return fmt.Sprintf("LiteLLM stand-in: the ChatGPT token file %s %s. The real LiteLLM would now %s "+
		"(litellm/llms/chatgpt/authenticator.py, Authenticator.get_access_token). The stand-in does not log in: "+
		"seed a valid token file (the rotator's seed step) instead.", e.path, e.why, e.wouldDo)
}

// deviceLogin describes _login_device_code.
func deviceLogin(cooldownLeft time.Duration) string {
	s := fmt.Sprintf("start a device-code login inside this request (_login_device_code: it requests a code from "+
		"auth.openai.com, prints it to its log, writes device_code_requested_at into the token file and polls up to %s, "+
		"blocking the proxy's event loop)", deviceCodeTimeout)
	if cooldownLeft > 0 {
		s = fmt.Sprintf("first wait up to %s for a valid token to appear in the file (a device code was requested less than %s ago: "+
			"_wait_for_access_token), then %s", cooldownLeft.Round(time.Second), deviceCodeCooldown, s)
	}
	return s
}

// read returns the credentials for one request, or why the real proxy would log in.
func (t tokenSource) read() (credentials, error) {
	data, readErr := t.readFile()
	now := t.now()
	if data == nil {
		why := "is missing or unreadable"
		if readErr != nil && !errors.Is(readErr, fs.ErrNotExist) {
			why = "cannot be used (" + readErr.Error() + ")"
		} else if readErr == nil {
			why = "does not hold a JSON object"
		}
		return credentials{}, &loginRequired{path: t.path, why: why, wouldDo: deviceLogin(0)}
	}
	access := stringField(data, "access_token")
	if access != "" && !isExpired(data, access, now) {
		return credentials{accessToken: access, accountID: accountID(data)}, nil
	}
	why := "has no access_token"
	if access != "" {
		why = "holds an access token that is expired or expires within a minute (expires_at, else the JWT exp)"
	}
	cooldown := cooldownLeft(data, now)
	if refresh := stringField(data, "refresh_token"); refresh != "" {
		return credentials{}, &loginRequired{path: t.path, why: why, refresh: true, wouldDo: "refresh it itself (_refresh_tokens: POST https://auth.openai.com/oauth/token " +
			"{client_id, grant_type: refresh_token, refresh_token, scope: \"openid profile email\"}, then rewrite the file with open(..., \"w\")); " +
			"the stand-in does not refresh, since that would spend the single-use refresh token the rotator owns; if that refresh failed it would " +
			deviceLogin(cooldown)}
	}
	return credentials{}, &loginRequired{path: t.path, why: why + " and no refresh_token", wouldDo: deviceLogin(cooldown)}
}

// readFile mirrors _read_auth_file: an IOError or a JSON error gives None. A JSON value
// that is not an object would make the Python code fail differently; the stand-in treats it
// as unusable too.
func (t tokenSource) readFile() (map[string]any, error) {
	raw, err := os.ReadFile(t.path)
	if err != nil {
		return nil, err
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	return data, nil
}

// isExpired mirrors _is_token_expired: expires_at (a number, or a string float() accepts),
// else the access token's JWT exp, else expired; expired when now >= expires_at - 60 s.
// The real function also writes a derived expires_at back into the file; the stand-in never
// writes the token file (README: not implemented), so every write a test sees is the rotator's.
func isExpired(data map[string]any, accessToken string, now time.Time) bool {
	exp, ok := numberField(data, "expires_at")
	if !ok {
		claims := jwtClaims(accessToken)
		if v, isNum := claims["exp"].(float64); isNum {
			exp, ok = float64(int64(v)), true
		}
	}
	if !ok {
		return true
	}
	deadline := time.Unix(0, int64(exp*float64(time.Second))).Add(-tokenExpirySkew)
	return !now.Before(deadline)
}

// accountID mirrors get_account_id: account_id, else the chatgpt_account_id claim of the id
// token, else of the access token (the real function writes a derived value back; the
// stand-in does not).
func accountID(data map[string]any) string {
	if id := stringField(data, "account_id"); id != "" {
		return id
	}
	token := stringField(data, "id_token")
	if token == "" {
		token = stringField(data, "access_token")
	}
	if auth, ok := jwtClaims(token)[authClaim].(map[string]any); ok {
		if id, ok := auth["chatgpt_account_id"].(string); ok {
			return id
		}
	}
	return ""
}

// cooldownLeft mirrors _get_device_code_cooldown_remaining.
func cooldownLeft(data map[string]any, now time.Time) time.Duration {
	at, ok := numberField(data, "device_code_requested_at")
	if !ok {
		return 0
	}
	left := deviceCodeCooldown - now.Sub(time.Unix(0, int64(at*float64(time.Second))))
	return max(left, 0)
}

// jwtClaims mirrors _decode_jwt_claims: the payload segment, base64url with padding
// restored; anything unreadable gives no claims.
func jwtClaims(token string) map[string]any {
	parts := strings.Split(token, ".")
	if len(parts) < 2 {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return nil
	}
	return claims
}

func stringField(data map[string]any, key string) string {
	s, _ := data[key].(string)
	return s
}

// numberField reads a JSON number, or a string holding one (Python's float() accepts both).
func numberField(data map[string]any, key string) (float64, bool) {
	switch v := data[key].(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}
