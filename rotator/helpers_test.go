package rotator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// t0 is "now" at the start of every test.
var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// mintJWT returns an unsigned compact JWT with these claims (the rotator never checks
// signatures, only reads claims).
func mintJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return header + "." + enc.EncodeToString(payload) + ".sig"
}

// accessToken mints a ChatGPT-like access token of user that expires at exp (issued ten
// days earlier, ChatGPT's lifetime).
func accessToken(t testing.TB, user string, exp time.Time) string {
	return accessTokenIssued(t, user, exp.Add(-10*24*time.Hour), exp)
}

// accessTokenIssued mints a ChatGPT-like access token of user issued at iat, expiring at exp.
func accessTokenIssued(t testing.TB, user string, iat, exp time.Time) string {
	return mintJWT(t, map[string]any{
		"sub": user,
		"exp": exp.Unix(),
		"iat": iat.Unix(),
		"https://api.openai.com/auth": map[string]any{
			"chatgpt_user_id":    user,
			"chatgpt_account_id": "acct-" + user,
		},
	})
}

func idToken(t testing.TB, user string, exp time.Time) string {
	return mintJWT(t, map[string]any{"sub": user, "email": user + "@example.com", "exp": exp.Unix()})
}

// tokens is a ChatGPT token set of user with refresh token rt and an access token
// expiring at exp.
func tokens(t testing.TB, user, rt string, exp time.Time) codexauth.Tokens {
	return codexauth.Tokens{
		IDToken:      idToken(t, user, exp),
		AccessToken:  accessToken(t, user, exp),
		RefreshToken: rt,
		AccountID:    "acct-" + user,
	}
}

// codexAuthJSON is what `codex login` would write for these tokens.
func codexAuthJSON(t testing.TB, toks codexauth.Tokens) []byte {
	t.Helper()
	data, err := json.MarshalIndent(codexauth.NewCodexAuth(toks, t0.Add(-time.Hour)), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer is a log sink tests may read while a goroutine logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tokenServer is a fake OAuth token endpoint on loopback.
type tokenServer struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []string // refresh tokens presented, in order
	handle func(w http.ResponseWriter, rt string)
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req tokenRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GrantType != "refresh_token" ||
			req.ClientID != DefaultClientID || req.Scope != "openid profile email" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		ts.mu.Lock()
		ts.seen = append(ts.seen, req.RefreshToken)
		handle := ts.handle
		ts.mu.Unlock()
		if handle == nil {
			t.Errorf("unexpected refresh of %q", req.RefreshToken)
			http.Error(w, `{"error":"unexpected"}`, http.StatusInternalServerError)
			return
		}
		handle(w, req.RefreshToken)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) setHandler(h func(w http.ResponseWriter, rt string)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.handle = h
}

func (ts *tokenServer) refreshes() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.seen...)
}

// grant answers a refresh with a new token set of user: refresh token newRT and an access
// token valid for ten days from exp-base.
func grant(t testing.TB, user, newRT string, base time.Time) func(w http.ResponseWriter, rt string) {
	return func(w http.ResponseWriter, _ string) {
		exp := base.Add(10 * 24 * time.Hour)
		json.NewEncoder(w).Encode(map[string]string{
			"id_token":      idToken(t, user, exp),
			"access_token":  accessToken(t, user, exp),
			"refresh_token": newRT,
		})
	}
}

func answer(status int, body string) func(w http.ResponseWriter, rt string) {
	return func(w http.ResponseWriter, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

// env is a temp auth directory with a fake clock and token endpoint.
type env struct {
	t      *testing.T
	dir    string
	clock  *fakeClock
	server *tokenServer
	logs   *syncBuffer
	cfg    Config

	readsMu sync.Mutex
	reads   []string // base names of every file the rotator read
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		t:      t,
		dir:    t.TempDir(),
		clock:  &fakeClock{now: t0},
		server: newTokenServer(t),
		logs:   &syncBuffer{},
	}
	e.cfg = Config{
		Dir:        e.dir,
		Accounts:   []int{1, 2},
		Reserved:   []int{3},
		Interval:   30 * time.Minute,
		TokenURL:   e.server.URL,
		HTTPClient: &http.Client{Timeout: 2 * time.Second},
		Namespace:  "agents",
		Deployment: "litellm-pool",
		Clock:      e.clock,
		Logger:     log.New(e.logs, "", 0),
		writer:     &atomicWriter{},
		// LiteLLM is not rewriting anything in tests: no need to wait for a re-read.
		tornReadDelay: time.Nanosecond,
		onRead:        e.recordRead,
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("rotator log:\n%s", e.logs.String())
		}
	})
	return e
}

func (e *env) recordRead(path string) {
	e.readsMu.Lock()
	defer e.readsMu.Unlock()
	e.reads = append(e.reads, filepath.Base(path))
}

func (e *env) resetReads() {
	e.readsMu.Lock()
	defer e.readsMu.Unlock()
	e.reads = nil
}

// wasRead reports whether the rotator read a file whose name starts with prefix.
func (e *env) wasRead(prefix string) bool {
	e.readsMu.Lock()
	defer e.readsMu.Unlock()
	for _, r := range e.reads {
		if strings.HasPrefix(r, prefix) || strings.HasPrefix(r, "."+prefix) {
			return true
		}
	}
	return false
}

func (e *env) path(name string) string { return filepath.Join(e.dir, name) }

func (e *env) writeFile(name string, data []byte) {
	e.t.Helper()
	if err := os.WriteFile(e.path(name), data, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// writeAccount stores auth-N.json for user with refresh token rt, access token expiring at exp.
func (e *env) writeAccount(n int, user, rt string, exp time.Time) {
	e.t.Helper()
	e.writeFile(codexauth.AccountFileName(n), codexAuthJSON(e.t, tokens(e.t, user, rt, exp)))
}

func (e *env) rotator() *Rotator {
	e.t.Helper()
	r, err := New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) seed() *Rotator {
	e.t.Helper()
	r := e.rotator()
	if _, err := r.Seed(context.Background()); err != nil {
		e.t.Fatalf("seed: %v", err)
	}
	return r
}

// liteLLMHoldsActive sets up a restart of the rotator: LiteLLM's file holds toks and the
// status file says account 1 has been active for ten minutes.
func (e *env) liteLLMHoldsActive(toks codexauth.Tokens) {
	e.t.Helper()
	f, err := codexauth.NewCodexAuth(toks, t0).Flat()
	if err != nil {
		e.t.Fatalf("flat: %v", err)
	}
	e.writeFile(codexauth.AuthFileName, mustJSON(e.t, f))
	since := t0.Add(-10 * time.Minute)
	e.writeFile(StatusFileName, mustJSON(e.t, Status{Active: 1, ActiveSince: &since}))
}

// seedThenRotate seeds, lets the rotation interval (30m) pass and ticks once: the switch
// from the first account in rotation to the next.
func (e *env) seedThenRotate() *Rotator {
	e.t.Helper()
	r := e.seed()
	e.clock.Advance(31 * time.Minute)
	r.Tick(e.t.Context())
	return r
}

// flat reads LiteLLM's token file and checks it is valid: parses, and expires_at is the
// access token's exp.
func (e *env) flat() codexauth.FlatToken {
	e.t.Helper()
	data, err := os.ReadFile(e.path(codexauth.AuthFileName))
	if err != nil {
		e.t.Fatalf("flat token file: %v", err)
	}
	f, err := codexauth.ParseFlatToken(data)
	if err != nil {
		e.t.Fatalf("flat token file invalid: %v\n%s", err, data)
	}
	if err := f.Validate(); err != nil {
		e.t.Fatalf("flat token file invalid: %v", err)
	}
	return f
}

// accountRT returns the refresh token in auth-N.json ("" if it does not parse).
func (e *env) accountRT(n int) string {
	e.t.Helper()
	data, err := os.ReadFile(e.path(codexauth.AccountFileName(n)))
	if err != nil {
		return ""
	}
	a, err := codexauth.ParseCodexAuth(data)
	if err != nil {
		return ""
	}
	return a.Tokens.RefreshToken
}

func (e *env) status() Status {
	e.t.Helper()
	st, err := ReadStatus(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) account(n int) AccountStatus {
	e.t.Helper()
	for _, a := range e.status().Accounts {
		if a.Account == n {
			return a
		}
	}
	e.t.Fatalf("account %d not in the status file", n)
	return AccountStatus{}
}

// leftoverTemps lists temp files in the directory.
func (e *env) leftoverTemps() []string {
	e.t.Helper()
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, d := range entries {
		if strings.Contains(d.Name(), tempMarker) {
			out = append(out, d.Name())
		}
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func filepathGlob(dir, pattern string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, pattern))
}

// envWithDeadAccount2 is a rotator past its first switch attempt: account 1 active and
// healthy, account 2's refresh token already spent (refresh_token_reused), so it is parked
// until a new device-auth.
func envWithDeadAccount2(t *testing.T) (*env, *Rotator) {
	t.Helper()
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	e.server.setHandler(answer(400, `{"error":{"code":"refresh_token_reused"}}`))
	r := e.seedThenRotate()
	return e, r
}
