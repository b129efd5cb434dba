package rotator

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// Issue 17 §2: LiteLLM's in-request device login must stay unreachable while the pool runs.
// LiteLLM reaches it whenever its own refresh of the flat file's account fails (litellm.go),
// so these tests tick the rotator minute by minute on its fake clock and check, after every
// step, that LiteLLM would serve the flat file as it is until the next tick.

// liteLLMSafe fails the test if LiteLLM, reading the flat file at any time up to until,
// would refresh (and so possibly start its device login).
func (e *env) liteLLMSafe(until time.Time) {
	e.t.Helper()
	data, err := os.ReadFile(e.path(codexauth.AuthFileName))
	if err != nil {
		e.t.Fatalf("at %s LiteLLM has no token file (it would start its device login): %v", e.clock.Now().Format(time.RFC3339), err)
	}
	if err := liteLLMServes(data, until); err != nil {
		e.t.Fatalf("at %s the flat file lets LiteLLM refresh before the next tick: %v\n%s", e.clock.Now().Format(time.RFC3339), err, data)
	}
}

// tickUntil ticks r every checkEvery until stop says so (at most limit ticks), checking
// that the flat file is safe for LiteLLM after every tick. It returns the time of the tick
// at which stop became true.
func (e *env) tickUntil(r *Rotator, limit int, stop func() bool) time.Time {
	e.t.Helper()
	for i := 0; i < limit; i++ {
		e.clock.Advance(checkEvery)
		r.Tick(context.Background())
		e.liteLLMSafe(e.clock.Now().Add(checkEvery))
		if stop() {
			return e.clock.Now()
		}
	}
	e.t.Fatalf("nothing happened in %d ticks:\n%s", limit, e.logs.String())
	return time.Time{}
}

// guardEnv: accounts 1 and 2 in rotation, account 1 seeded into LiteLLM's flat file with an
// access token that expires 20 minutes from t0, on a token endpoint that spends refresh
// tokens on receipt.
func guardEnv(t *testing.T, exp2 time.Time) (*env, *rotatingEndpoint, *Rotator) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.writeAccount(1, "u1", "rt-1", t0.Add(20*time.Minute))
	e.writeAccount(2, "u2", "rt-2", exp2)
	ep.live("rt-1", "u1")
	ep.live("rt-2", "u2")
	e.seed()
	if got := e.flat().RefreshToken; got != "rt-1" {
		t.Fatalf("seeded %q, want account 1", got)
	}
	r := e.rotator()
	r.Start(context.Background())
	e.liteLLMSafe(t0.Add(checkEvery))
	t.Cleanup(func() {
		if reused := ep.reusedTokens(); len(reused) != 0 {
			t.Errorf("spent refresh tokens presented again: %v", reused)
		}
	})
	return e, ep, r
}

// A healthy active account is refreshed by the rotator before LiteLLM's refresh window
// opens, and LiteLLM keeps it: LiteLLM never needs to refresh.
func TestActiveAccountIsRefreshedAheadOfLiteLLM(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(5*24*time.Hour))
	at := e.tickUntil(r, 20, func() bool { return e.accountRT(1) != "rt-1" })
	if want := t0.Add(20*time.Minute - activeLead); at != want {
		t.Errorf("refreshed at %s, want %s (%s before expiry)", at.Format(time.RFC3339), want.Format(time.RFC3339), activeLead)
	}
	live := ep.liveToken("u1")
	if e.accountRT(1) != live || e.flat().RefreshToken != live {
		t.Errorf("auth-1.json %q, flat %q; want the new %q in both", e.accountRT(1), e.flat().RefreshToken, live)
	}
	if st := e.status(); st.Active != 1 || !st.ActiveSince.Equal(t0) || !st.Ready {
		t.Errorf("status = %+v, want account 1 still active since seeding, ready", st)
	}
}

// Fault: the active account's session is revoked. The rotator finds out when it refreshes
// the account ahead of LiteLLM, parks it for a device login, and switches at that tick.
func TestFaultActiveAccountRefreshTokenRevoked(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(5*24*time.Hour))
	ep.kill("rt-1", "refresh_token_invalidated")
	at := e.tickUntil(r, 20, func() bool { return e.status().Active != 1 })
	if want := t0.Add(20*time.Minute - activeLead); at != want {
		t.Errorf("switched at %s, want %s: the first tick within %s of expiry", at.Format(time.RFC3339), want.Format(time.RFC3339), activeLead)
	}
	st := e.status()
	if st.Active != 2 || st.ActiveSince == nil || !st.ActiveSince.Equal(at) || !st.Ready || e.flat().RefreshToken != "rt-2" {
		t.Errorf("status = %+v, flat %q; want account 2 active since %s", st, e.flat().RefreshToken, at)
	}
	wantNeedsLogin(t, e, 1, "refresh_token_invalidated")
	if !strings.Contains(e.logs.String(), "kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 1") {
		t.Errorf("the log does not give the auth-login command for account 1:\n%s", e.logs.String())
	}
	if e.accountRT(1) != "rt-1" {
		t.Errorf("auth-1.json holds %q, want rt-1 kept", e.accountRT(1))
	}
}

// Fault: LiteLLM's requests with the active account fail authentication (ChatGPT revoked
// the session): the event switches at once, without waiting for a tick, and the check of
// the login that follows finds it dead.
func TestFaultActiveAccountFailsAuthentication(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(5*24*time.Hour))
	ep.kill("rt-1", "refresh_token_invalidated")
	srv := newEventServer(t, r)
	e.clock.Advance(3 * time.Minute)
	at := e.clock.Now()
	body := mustJSON(t, []any{failurePayload(at.Add(-2*time.Second), "chatgpt", "401", "AuthenticationError",
		`litellm.AuthenticationError: ChatgptException - {"detail":"Your authentication token has been invalidated. Please try signing in again."}`)})
	if code, status := post(t, srv, string(body)); code != http.StatusOK {
		t.Fatalf("POST = %s", status)
	}
	st := e.status()
	if st.Active != 2 || !st.ActiveSince.Equal(at) || e.flat().RefreshToken != "rt-2" {
		t.Errorf("status = %+v, flat %q; want account 2 active since the event at %s", st, e.flat().RefreshToken, at)
	}
	wantNeedsLogin(t, e, 1, "refresh_token_invalidated")
	e.liteLLMSafe(at.Add(checkEvery))
}

// Fault: every account is dead. The flat file becomes the fail-fast file at the tick the
// last one is found dead: LiteLLM answers every call at once with an authentication error
// and never starts a device login, and the pool reports not ready with the command to
// run. A new login brings it back at the next tick.
func TestFaultEveryAccountDead(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(-time.Hour)) // account 2 would need a refresh
	ep.kill("rt-1", "refresh_token_expired")
	ep.kill("rt-2", "refresh_token_reused")
	at := e.tickUntil(r, 20, func() bool { return !e.status().Ready })
	if want := t0.Add(20*time.Minute - activeLead); at != want {
		t.Errorf("not ready from %s, want %s", at.Format(time.RFC3339), want.Format(time.RFC3339))
	}
	data, err := os.ReadFile(e.path(codexauth.AuthFileName))
	if err != nil || !isFailFast(data) {
		t.Fatalf("flat file = %s, %v; want the fail-fast file", data, err)
	}
	// LiteLLM serves it as it is for as long as it stays, without refreshing.
	if err := liteLLMServes(data, at.Add(50*365*24*time.Hour)); err != nil {
		t.Errorf("the fail-fast file lets LiteLLM refresh: %v", err)
	}
	if codexauth.LooksLikeCredentialFile(data) && strings.Contains(string(data), "rt-") {
		t.Errorf("the fail-fast file holds a token: %s", data)
	}
	st := e.status()
	cmd := "kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 1"
	if st.Ready || st.Active != 0 || !strings.Contains(st.NotReadyReason, cmd) || !strings.Contains(st.NotReady(at, ReadyMaxAge), cmd) {
		t.Errorf("status = %+v; want not ready, naming %q", st, cmd)
	}
	var out strings.Builder
	if err := FormatStatus(&out, st, at); err != nil || !strings.Contains(out.String(), "NOT READY: ") || !strings.Contains(out.String(), cmd) {
		t.Errorf("status for operators does not say NOT READY with %q:\n%s", cmd, out.String())
	}
	wantNeedsLogin(t, e, 1, "refresh_token_expired")
	wantNeedsLogin(t, e, 2, "refresh_token_reused")
	if e.accountRT(1) != "rt-1" || e.accountRT(2) != "rt-2" {
		t.Errorf("account files changed: %q, %q", e.accountRT(1), e.accountRT(2))
	}

	// LiteLLM's calls now fail with 401 upstream; their events are charged to no account.
	srv := newEventServer(t, r)
	e.clock.Advance(30 * time.Second)
	post(t, srv, string(mustJSON(t, []any{failurePayload(e.clock.Now().Add(-time.Second), "chatgpt", "401", "AuthenticationError", "Could not parse your authentication token")})))
	if a := e.account(2); a.LastError != "refresh failed: HTTP 401 (refresh_token_reused): session revoked" {
		t.Errorf("account 2's last error = %q: the fail-fast file's refusal was charged to it", a.LastError)
	}
	// The ticks that follow change nothing and stay safe.
	for i := 0; i < 3; i++ {
		e.clock.Advance(checkEvery)
		r.Tick(context.Background())
		e.liteLLMSafe(e.clock.Now().Add(checkEvery))
	}

	// The operator logs account 2 in again.
	if err := Import(e.cfg, 2, codexAuthJSON(t, tokens(t, "u2", "rt-2n", e.clock.Now().Add(10*24*time.Hour)))); err != nil {
		t.Fatal(err)
	}
	back := e.tickUntil(r, 2, func() bool { return e.status().Ready })
	if st := e.status(); st.Active != 2 || !st.ActiveSince.Equal(back) || e.flat().RefreshToken != "rt-2n" {
		t.Errorf("after the import: status %+v, flat %q; want account 2 active", st, e.flat().RefreshToken)
	}
}

// Fault: the active account is already dead when its last good neighbour dies: a 401 event
// turns the flat file into the fail-fast file at once.
func TestFaultLastAccountFailsAuthentication(t *testing.T) {
	e, r := envWithDeadAccount2(t)
	srv := newEventServer(t, r)
	e.clock.Advance(5 * time.Minute)
	post(t, srv, string(mustJSON(t, []any{failurePayload(e.clock.Now().Add(-time.Second), "chatgpt", "403", "PermissionDeniedError", `{"error":{"code":"account_deactivated"}}`)})))
	data, err := os.ReadFile(e.path(codexauth.AuthFileName))
	if err != nil || !isFailFast(data) {
		t.Fatalf("flat file = %s, %v; want the fail-fast file", data, err)
	}
	if st := e.status(); st.Ready || !strings.Contains(st.NotReadyReason, "auth-login 1") {
		t.Errorf("status = %+v, want not ready naming auth-login 1", st)
	}
	if e.accountRT(1) != "rt-1" {
		t.Errorf("auth-1.json holds %q, want rt-1 kept", e.accountRT(1))
	}
	e.liteLLMSafe(e.clock.Now().Add(time.Hour))
}

// Fault: LiteLLM's token file disappears while no account is usable: the rotator writes the
// fail-fast file rather than leaving LiteLLM without one.
func TestFaultFlatFileMissingWithNoUsableAccount(t *testing.T) {
	e, r := envWithDeadAccount2(t)
	r.park(1, e.clock.Now().Add(time.Hour), "usage limit reached (test)")
	os.Remove(e.path(codexauth.AuthFileName))
	e.clock.Advance(checkEvery)
	r.Tick(context.Background())
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
	if st := e.status(); st.Ready {
		t.Errorf("status = %+v, want not ready", st)
	}
}

// Inside LiteLLM's refresh window the rotator does not refresh the active account (LiteLLM
// may be doing it): it switches without spending that token.
func TestTooLateToRefreshTheActiveAccountSwitchesWithoutRefreshing(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(5*24*time.Hour))
	e.clock.Advance(20*time.Minute - 30*time.Second) // the rotator was not running until now
	r.Tick(context.Background())
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
	if st := e.status(); st.Active != 2 {
		t.Errorf("status = %+v, want account 2", st)
	}
	if seen := ep.seenTokens(); len(seen) != 0 {
		t.Errorf("refreshed %v inside LiteLLM's refresh window", seen)
	}
	if a := e.account(1); a.ParkedUntil == nil || !strings.Contains(a.ParkReason, "refresh window") {
		t.Errorf("account 1 = %+v, want it left alone for a while", a)
	}
}

func TestLiteLLMServes(t *testing.T) {
	valid := tokens(t, "u1", "rt-1", t0.Add(time.Hour))
	f, _ := codexauth.NewCodexAuth(valid, t0).Flat()
	cases := []struct {
		name string
		data string
		ok   bool
	}{
		{"valid token file", string(mustJSON(t, f)), true},
		{"empty file", ``, false},
		{"garbled", `{"access_token": "x", "exp`, false},
		{"not an object", `[1]`, false},
		{"null", `null`, false},
		{"no access token", `{"refresh_token": "rt", "expires_at": 4102444800}`, false},
		{"no expires_at", `{"access_token": "x", "refresh_token": "rt"}`, false},
		{"expires_at as a string", `{"access_token": "x", "expires_at": "4102444800"}`, true},
		{"expires within the skew", `{"access_token": "x", "expires_at": ` + itoa(t0.Add(59*time.Second).Unix()) + `}`, false},
		{"expires just after the skew", `{"access_token": "x", "expires_at": ` + itoa(t0.Add(61*time.Second).Unix()) + `}`, true},
	}
	for _, tc := range cases {
		if err := liteLLMServes([]byte(tc.data), t0); (err == nil) != tc.ok {
			t.Errorf("%s: liteLLMServes = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
