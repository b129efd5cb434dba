package rotator

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// Issue D5: LiteLLM charges nothing itself; the rotator charges a failed request to the
// account active at the request's start. A request that started just before the rotator
// replaced LiteLLM's file can read the new file: after a switch to the fail-fast file its
// 401 is the fail-fast token's, not the account's, and must not park a healthy account until
// a new login.
func TestAuthFailureOfARequestThatStraddledASwitchIsNotCharged(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.cfg.Accounts, e.cfg.Reserved = []int{1}, nil
	e.writeAccount(1, "u1", "rt-1", t0.Add(100*time.Second))
	ep.live("rt-1", "u1")
	e.liteLLMHoldsActive(tokens(t, "u1", "rt-1", t0.Add(100*time.Second)))
	r := e.rotator()
	r.Start(t.Context()) // too close to refresh here: the fail-fast file, account 1 left alone
	data, _ := os.ReadFile(e.path(codexauth.AuthFileName))
	if !isFailFast(data) {
		t.Fatalf("setup: flat file = %s, want the fail-fast file", data)
	}
	srv := newEventServer(t, r)
	e.clock.Advance(5 * time.Second)
	// The request started 0.3 s before the switch and read the fail-fast token.
	body := mustJSON(t, []any{failurePayload(t0.Add(-300*time.Millisecond), "chatgpt", "401", "AuthenticationError",
		`litellm.AuthenticationError: ChatgptException - {"detail":"Could not parse your authentication token."}`)})
	if code, status := post(t, srv, string(body)); code != http.StatusOK {
		t.Fatalf("POST = %s", status)
	}
	if a := e.account(1); a.ParkedPermanently || a.State == StateNeedsDeviceAuth {
		t.Fatalf("account 1 = %+v; parked for a login by the fail-fast token's 401", a)
	}
	back := e.tickUntil(r, 10, func() bool { return e.status().Ready })
	if live := ep.liveToken("u1"); e.flat().RefreshToken != live {
		t.Errorf("ready again at %s but LiteLLM holds %q, want account 1's new %q", back, e.flat().RefreshToken, live)
	}
}

// A 401 of a request that started well before any switch is still charged to its account:
// the rotator switches away and checks its login, which the token endpoint finds dead.
func TestAuthFailureLongBeforeASwitchIsCharged(t *testing.T) {
	e, _, srv := eventsEnv(t)
	e.server.setHandler(answer(401, `{"error":{"code":"refresh_token_invalidated","message":"session revoked"}}`))
	e.clock.Advance(5 * time.Minute)
	body := mustJSON(t, []any{failurePayload(e.clock.Now().Add(-time.Minute), "chatgpt", "401", "AuthenticationError", "token invalidated")})
	post(t, srv, string(body))
	wantNeedsLogin(t, e, 1, "refresh_token_invalidated")
	if got := e.server.refreshes(); strings.Join(got, ",") != "rt-1" {
		t.Errorf("token endpoint saw %v, want account 1's login checked once (rt-1)", got)
	}
	if st := e.status(); st.Active != 2 {
		t.Errorf("status = %+v, want account 2", st)
	}
}
