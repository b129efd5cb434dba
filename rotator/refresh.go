package rotator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
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
	// PossiblySpent: the request may have reached the endpoint, which spends the refresh
	// token on receipt, but no answer arrived (a timeout, a connection lost, the process
	// stopping): the token in the account's file may be dead now.
	PossiblySpent bool
	// Stopped: the process was stopping before anything was sent; nothing is spent and
	// nothing is wrong with the account.
	Stopped bool
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
	timing   exchangeTiming
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

// The timing of one token exchange. The endpoint spends the refresh token the moment it
// receives the request, whether or not its answer ever arrives. So giving up is cheap
// before anything is sent and dear after: a request abandoned on a short deadline may have
// spent the token, and the retry then meets refresh_token_reused, a dead account. An
// exchange is therefore bounded in two phases: SendTimeout until a connection to the
// endpoint is in hand (name lookup, connect, TLS: nothing has been sent), then the
// generous AnswerTimeout. Whatever asked for the exchange (a tick, a LiteLLM event POST
// whose caller went away) cannot cancel it; the process stopping can, and only as far as
// its grace period requires: before the request is sent at once, after it within StopWait.
const (
	SendTimeout   = 20 * time.Second
	AnswerTimeout = 3 * time.Minute
	// StopWait is how long a sent exchange may still wait for its answer once the process
	// has been asked to stop: as long as any sent exchange, because one cut short may have
	// spent the account's refresh token with its successor unread (a lost login). The pod
	// must grant it: TerminationGracePeriod (run.go), which the pool's pod sets.
	StopWait = AnswerTimeout
)

// exchangeTiming holds an exchange's bounds; zero fields take the constants above (tests
// shorten them).
type exchangeTiming struct {
	send, answer, stop time.Duration
}

func (t exchangeTiming) withDefaults() exchangeTiming {
	if t.send <= 0 {
		t.send = SendTimeout
	}
	if t.answer <= 0 {
		t.answer = AnswerTimeout
	}
	if t.stop <= 0 {
		t.stop = StopWait
	}
	return t
}

// Why an exchange was cut short (the cause of its context's cancellation).
var (
	errSendTimeout = errors.New("no connection to the token endpoint in time")
	errStopping    = errors.New("the rotator is stopping")
	errNoAnswer    = errors.New("no answer in time")
	errStopWait    = errors.New("no answer before the rotator had to stop")
)

// exchange is the deadline of one token exchange: SendTimeout until a connection is in hand
// (marked by the request's GotConn trace), AnswerTimeout from then on, and StopWait once
// the caller's context ends (at once if nothing has been sent yet).
type exchange struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timing exchangeTiming

	mu         sync.Mutex
	sent       bool
	sendTimer  *time.Timer
	timers     []*time.Timer
	stopNotify func() bool
}

func startExchange(parent context.Context, t exchangeTiming) *exchange {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	x := &exchange{cancel: cancel, timing: t}
	x.ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { x.markSent() }})
	x.mu.Lock()
	x.sendTimer = time.AfterFunc(t.send, func() { cancel(errSendTimeout) })
	x.mu.Unlock()
	x.stopNotify = context.AfterFunc(parent, x.stopping)
	return x
}

// markSent: a connection is in hand, and from now on the request may reach the endpoint.
func (x *exchange) markSent() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.sent {
		return
	}
	x.sent = true
	x.sendTimer.Stop()
	x.timers = append(x.timers, time.AfterFunc(x.timing.answer, func() { x.cancel(errNoAnswer) }))
}

// stopping: the process is asked to stop.
func (x *exchange) stopping() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.sent {
		x.cancel(errStopping) // nothing sent, nothing spent
		return
	}
	x.timers = append(x.timers, time.AfterFunc(x.timing.stop, func() { x.cancel(errStopWait) }))
}

func (x *exchange) end() {
	x.stopNotify()
	x.mu.Lock()
	x.sendTimer.Stop()
	for _, t := range x.timers {
		t.Stop()
	}
	x.mu.Unlock()
	x.cancel(nil)
}

// failed describes an exchange that ended without an answer (status 0) or whose answer
// could not be read.
func (x *exchange) failed(err error, status int, what string) *refreshError {
	x.mu.Lock()
	sent := x.sent
	x.mu.Unlock()
	e := &refreshError{Kind: failTransient, Status: status}
	switch cause := context.Cause(x.ctx); {
	case !sent && errors.Is(cause, errStopping):
		e.Stopped, e.Detail = true, "not sent: the rotator is stopping (the refresh token is not spent)"
		return e
	case !sent && errors.Is(cause, errSendTimeout):
		e.Detail = fmt.Sprintf("no connection to the token endpoint within %s (nothing was sent: the refresh token is not spent)", x.timing.send)
	case errors.Is(cause, errNoAnswer):
		e.Detail = fmt.Sprintf("%sno answer within %s of sending the request", what, x.timing.answer)
	case errors.Is(cause, errStopWait):
		e.Detail = fmt.Sprintf("%sno answer within %s of the stop signal", what, x.timing.stop)
	default:
		e.Detail = what + err.Error()
	}
	if sent {
		e.PossiblySpent = true
		e.Detail += ": the refresh token was possibly spent (the endpoint spends it on receipt) and no new one arrived; " +
			"if the next refresh of this account answers refresh_token_reused, it needs a new login"
	}
	return e
}

// refresh exchanges the refresh token of old for a new token set. On success the result
// keeps what the endpoint did not send again (the refresh token if it was not rotated, the
// id token, the account id), exactly as codex does. A failure is a *refreshError.
//
// ctx's values are kept, and its end means that the process is stopping: see the timing
// above. Callers decide before calling whether an exchange may start at all. The HTTP
// client's own Timeout is not used: the exchange's phases bound it.
func (r refresher) refresh(ctx context.Context, old codexauth.Tokens) (codexauth.Tokens, error) {
	body, err := json.Marshal(tokenRequest{
		ClientID:     r.clientID,
		GrantType:    "refresh_token",
		RefreshToken: old.RefreshToken,
		Scope:        "openid profile email",
	})
	if err != nil {
		return codexauth.Tokens{}, &refreshError{Kind: failTransient, Detail: err.Error()}
	}
	x := startExchange(ctx, r.timing.withDefaults())
	defer x.end()
	req, err := http.NewRequestWithContext(x.ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return codexauth.Tokens{}, &refreshError{Kind: failTransient, Detail: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	client := noRedirects(r.client)
	client.Timeout = 0
	resp, err := client.Do(req)
	if err != nil {
		return codexauth.Tokens{}, x.failed(err, 0, "")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return codexauth.Tokens{}, x.failed(err, resp.StatusCode, "reading the response: ")
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
