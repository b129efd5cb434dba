package rotator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// rotatingEndpoint is an OAuth token endpoint that behaves as OpenAI's does: a refresh token
// is spent the moment a request carrying it arrives, whether or not the answer ever reaches
// the caller, and a spent token is answered 400 refresh_token_reused. Tokens listed in dead
// are answered with their error code (a revoked session).
type rotatingEndpoint struct {
	*httptest.Server
	t testing.TB

	mu     sync.Mutex
	users  map[string]string // live refresh token -> user
	spent  map[string]bool
	dead   map[string]string // refresh token -> error code
	seen   []string          // refresh tokens presented, in order
	reused []string          // spent tokens presented again
	gen    int
	// validFor is how long issued access tokens last, from clock().
	validFor time.Duration
	clock    func() time.Time
	// hold, when set, runs after the presented token was spent and before the answer is
	// written (a test blocks here to interrupt the caller mid-exchange).
	hold func(r *http.Request)
}

func newRotatingEndpoint(t testing.TB, clock func() time.Time) *rotatingEndpoint {
	ep := &rotatingEndpoint{
		t: t, users: map[string]string{}, spent: map[string]bool{}, dead: map[string]string{},
		validFor: 10 * 24 * time.Hour, clock: clock,
	}
	ep.Server = httptest.NewServer(http.HandlerFunc(ep.serve))
	t.Cleanup(ep.Close)
	return ep
}

// live registers a refresh token of user that the endpoint accepts once.
func (ep *rotatingEndpoint) live(rt, user string) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.users[rt] = user
}

// setHold sets hold (the endpoint's handler reads it under mu).
func (ep *rotatingEndpoint) setHold(h func(r *http.Request)) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.hold = h
}

// kill makes the endpoint reject rt with code (refresh_token_invalidated, ...).
func (ep *rotatingEndpoint) kill(rt, code string) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.dead[rt] = code
}

func (ep *rotatingEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GrantType != "refresh_token" || req.ClientID != DefaultClientID {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	ep.mu.Lock()
	rt := req.RefreshToken
	ep.seen = append(ep.seen, rt)
	if code, ok := ep.dead[rt]; ok {
		ep.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"code":%q,"message":"session revoked"}}`, code)
		return
	}
	if ep.spent[rt] {
		ep.reused = append(ep.reused, rt)
		ep.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used to generate a new access token."}}`))
		return
	}
	user, ok := ep.users[rt]
	if !ok {
		ep.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"invalid_grant"}}`))
		return
	}
	// Spent on receipt, as OpenAI's endpoint does.
	ep.spent[rt] = true
	delete(ep.users, rt)
	ep.gen++
	next := fmt.Sprintf("%s.r%d", rt, ep.gen)
	ep.users[next] = user
	hold := ep.hold
	iat := ep.clock()
	exp := iat.Add(ep.validFor)
	ep.mu.Unlock()

	if hold != nil {
		hold(r)
	}
	json.NewEncoder(w).Encode(map[string]string{
		"id_token":      idToken(ep.t, user, exp),
		"access_token":  accessTokenIssued(ep.t, user, iat, exp),
		"refresh_token": next,
	})
}

func (ep *rotatingEndpoint) reusedTokens() []string {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]string(nil), ep.reused...)
}

func (ep *rotatingEndpoint) seenTokens() []string {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]string(nil), ep.seen...)
}

// liveToken returns user's current live refresh token ("" if none).
func (ep *rotatingEndpoint) liveToken(user string) string {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for rt, u := range ep.users {
		if u == user {
			return rt
		}
	}
	return ""
}
