package rotator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"cloud-codex/codexauth"
)

// failureKind says what a failed refresh means for the account.
type failureKind int

const (
	// failTransient: 5xx, timeout, network or an unusable answer. The refresh token is
	// probably still good; try again after a short park.
	failTransient failureKind = iota
	// failRateLimited: a 429 that is not a usage limit.
	failRateLimited
	// failUsageLimit: a 429 for the account's plan usage limit.
	failUsageLimit
	// failNeedsLogin: the refresh token is dead (reused, expired, invalidated, revoked).
	// Only a new device-auth login brings the account back. Only the token endpoint's
	// dead-token codes (deadTokenCodes) mean this; an HTTP status alone never does.
	failNeedsLogin
	// failConfig: the endpoint refused the OAuth client itself (invalid_client,
	// unauthorized_client): --client-id or --token-url is wrong. That says nothing about
	// the refresh token, and no login would help; retried after a short park.
	failConfig
)

// deadTokenCodes are the token endpoint's error codes for a refresh token that can never
// work again.
var deadTokenCodes = map[string]bool{
	"refresh_token_reused":      true,
	"refresh_token_expired":     true,
	"refresh_token_invalidated": true,
	"invalid_grant":             true,
}

// clientErrorCodes are the OAuth error codes of a request whose client the endpoint does
// not accept: a configuration problem (RFC 6749 section 5.2), not a verdict on the token.
var clientErrorCodes = map[string]bool{
	"invalid_client":      true,
	"unauthorized_client": true,
}

// refreshError is a failed refresh.
type refreshError struct {
	Kind   failureKind
	Status int    // HTTP status, 0 if no response
	Code   string // the endpoint's error code, if it gave one
	Detail string // human-readable cause, also searched for usage-limit markers
	// NewRefreshToken is set when the endpoint answered 200 with a new refresh token but
	// unusable other tokens: the old refresh token may be spent already, so the new one
	// has to be kept even though the refresh failed.
	NewRefreshToken string
}

func (e *refreshError) Error() string {
	var b strings.Builder
	b.WriteString("refresh failed")
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	return b.String()
}

// refresher calls the OAuth token endpoint.
type refresher struct {
	url      string
	clientID string
	client   *http.Client
}

type tokenRequest struct {
	ClientID     string `json:"client_id"`
	GrantType    string `json:"grant_type"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

type tokenResponse struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// maxResponse bounds what is read from the token endpoint.
const maxResponse = 1 << 20

// ExchangeTimeout bounds one token exchange. The endpoint rotates the refresh token the
// moment it receives the request, so an exchange that has been sent is never cancelled by
// whatever asked for it (a shutdown signal, a LiteLLM event POST whose caller went away):
// it ends with the answer or with this timeout, well inside the pod's 30 s termination
// grace period, and its result is stored before the process stops.
const ExchangeTimeout = 20 * time.Second

// refresh exchanges the refresh token of old for a new token set. On success the result
// keeps what the endpoint did not send again (the refresh token if it was not rotated, the
// id token, the account id), exactly as codex does. A failure is a *refreshError.
//
// ctx only carries values: its cancellation is ignored (see ExchangeTimeout). Callers
// decide before calling whether an exchange may start at all.
func (r refresher) refresh(ctx context.Context, old codexauth.Tokens) (codexauth.Tokens, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ExchangeTimeout)
	defer cancel()
	body, err := json.Marshal(tokenRequest{
		ClientID:     r.clientID,
		GrantType:    "refresh_token",
		RefreshToken: old.RefreshToken,
		Scope:        "openid profile email",
	})
	if err != nil {
		return codexauth.Tokens{}, &refreshError{Kind: failTransient, Detail: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return codexauth.Tokens{}, &refreshError{Kind: failTransient, Detail: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := noRedirects(r.client).Do(req)
	if err != nil {
		return codexauth.Tokens{}, &refreshError{Kind: failTransient, Detail: err.Error()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return codexauth.Tokens{}, &refreshError{Kind: failTransient, Status: resp.StatusCode, Detail: "reading response: " + err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		e := classifyRefreshFailure(resp.StatusCode, data)
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			e.Detail = "redirect to " + shorten(loc, 200) + " not followed (the refresh token is sent to --token-url only)"
		}
		return codexauth.Tokens{}, e
	}
	return parseRefreshed(old, data)
}

// noRedirects returns a copy of c that hands back a redirect instead of following it. Go's
// client re-sends a POST body on 307 and 308, so following one would present the refresh
// token to whatever host the Location names (and spend it there). A redirect is a failed
// refresh like any other unexpected answer.
func noRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

func parseRefreshed(old codexauth.Tokens, data []byte) (codexauth.Tokens, error) {
	var tr tokenResponse
	if err := json.Unmarshal(data, &tr); err != nil {
		return codexauth.Tokens{}, &refreshError{Kind: failTransient, Status: http.StatusOK, Detail: "unparsable response: " + err.Error()}
	}
	next := old
	next.AccessToken = tr.AccessToken
	if tr.RefreshToken != "" {
		next.RefreshToken = tr.RefreshToken
	}
	if tr.IDToken != "" {
		next.IDToken = tr.IDToken
	}
	if _, err := codexauth.JWTExpiry(next.AccessToken); err != nil {
		e := &refreshError{Kind: failTransient, Status: http.StatusOK, Detail: "response access_token unusable: " + err.Error()}
		if tr.RefreshToken != "" && tr.RefreshToken != old.RefreshToken {
			e.NewRefreshToken = tr.RefreshToken
		}
		return codexauth.Tokens{}, e
	}
	return next, nil
}

// classifyRefreshFailure turns a non-200 answer into a refreshError. The endpoint's error
// is either {"error": {"code": ..., "message": ...}} (what codex parses) or the OAuth form
// {"error": "...", "error_description": "..."}; both are understood.
func classifyRefreshFailure(status int, body []byte) *refreshError {
	code, msg := oauthError(body)
	e := &refreshError{Status: status, Code: code, Detail: msg}
	if e.Detail == "" && code == "" {
		// No structured error: the body itself (an HTML page, a plain text) is the detail.
		e.Detail = strings.TrimSpace(string(body))
		if len(e.Detail) > 200 {
			e.Detail = e.Detail[:200] + "..."
		}
	}
	// Only a dead-token code parks an account for a login. codex treats any 401 as "log in
	// again", but for a pool that parks accounts for good that is too eager: invalid_client
	// (a wrong --client-id or --token-url) would mark every account dead in turn, and so
	// would a gateway or proxy answering 401 without an OAuth error.
	switch lc := strings.ToLower(code); {
	case deadTokenCodes[lc]:
		e.Kind = failNeedsLogin
	case clientErrorCodes[lc]:
		e.Kind = failConfig
	case status == http.StatusTooManyRequests && isUsageLimit(code+" "+string(body)):
		e.Kind = failUsageLimit
	case status == http.StatusTooManyRequests:
		e.Kind = failRateLimited
	default:
		e.Kind = failTransient
	}
	return e
}

func oauthError(body []byte) (code, msg string) {
	var v struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Code             string          `json:"code"`
		Message          string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	code, msg = v.Code, v.Message
	var s string
	var obj struct {
		Code    string `json:"code"`
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	switch {
	case json.Unmarshal(v.Error, &s) == nil:
		code = s
	case json.Unmarshal(v.Error, &obj) == nil:
		if obj.Code != "" {
			code = obj.Code
		} else if obj.Type != "" {
			code = obj.Type
		}
		if obj.Message != "" {
			msg = obj.Message
		}
	}
	if v.ErrorDescription != "" {
		msg = v.ErrorDescription
	}
	return code, msg
}
