package rotator

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An authentication failure LiteLLM reports does not prove an account's login dead: a
// clock skew, or a region ChatGPT refuses, fails every account's requests with 401/403
// while every refresh token is fine. Parking each account for a device login in turn took
// the whole pool down. The rotator switches away and checks the login by a refresh; only
// a dead-token answer from the token endpoint parks it for good.
func TestAuthFailureOfAHealthyLoginDoesNotParkItForGood(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(5*24*time.Hour))
	srv := newEventServer(t, r)

	// ChatGPT refuses account 1's requests (this machine's clock is off, say).
	e.clock.Advance(3 * time.Minute)
	at := e.clock.Now()
	post(t, srv, string(mustJSON(t, []any{failurePayload(at.Add(-2*time.Second), "chatgpt", "401", "AuthenticationError",
		`litellm.AuthenticationError: ChatgptException - {"detail":"Your authentication token is not yet valid."}`)})))
	if st := e.status(); st.Active != 2 || e.flat().RefreshToken != "rt-2" {
		t.Fatalf("status = %+v, flat %q; want a switch to account 2 at once", st, e.flat().RefreshToken)
	}
	wantParked(t, e, 1, DefaultTransientPark, "refreshed fine")
	wantNoLoginAdvice(t, e, 1)
	if got, live := e.accountRT(1), ep.liveToken("u1"); got != live {
		t.Errorf("auth-1.json holds %q, want the pair of the check's refresh (%q)", got, live)
	}
	if a := e.account(1); a.CheckLogin {
		t.Errorf("account 1 = %+v: still waiting for a check that was made", a)
	}

	// The same refusal reaches account 2 (a region refuses them all). Nothing else is
	// usable, so LiteLLM keeps account 2; its check refreshes it ahead of LiteLLM.
	e.clock.Advance(time.Minute)
	post(t, srv, string(mustJSON(t, []any{failurePayload(e.clock.Now().Add(-time.Second), "chatgpt", "403", "PermissionDeniedError",
		`litellm.PermissionDeniedError: {"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported"}}`)})))
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
	st := e.status()
	if !st.Ready || st.Active != 2 {
		t.Errorf("status = %+v; want LiteLLM kept on account 2, ready: no login is dead", st)
	}
	if live := ep.liveToken("u2"); e.flat().RefreshToken != live || e.accountRT(2) != live {
		t.Errorf("flat %q, auth-2.json %q; want the checked pair %q in both", e.flat().RefreshToken, e.accountRT(2), live)
	}
	wantNoLoginAdvice(t, e, 1)
	wantNoLoginAdvice(t, e, 2)

	// More reports while the accounts are parked after a good check spend no token.
	seen := len(ep.seenTokens())
	e.clock.Advance(10 * time.Second)
	post(t, srv, string(mustJSON(t, []any{failurePayload(e.clock.Now().Add(-time.Second), "chatgpt", "403", "PermissionDeniedError", "unsupported_country_region_territory")})))
	if got := ep.seenTokens(); len(got) != seen {
		t.Errorf("token endpoint saw %v: a repeated report checked the login again", got[seen:])
	}
}

// A status file written by a rotator that parked accounts for good on any 401 keeps no such
// park that rests on a mere 401: the login is checked by a refresh at the first tick. A
// park that the token endpoint's dead-token code proved stands.
func TestOldPermanentParkOnAMere401IsChecked(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.cfg.Accounts, e.cfg.Reserved = []int{1, 2, 3, 4}, nil
	for n, user := range map[int]string{1: "u1", 2: "u2", 3: "u3", 4: "u4"} {
		rt := "rt-" + user[1:]
		e.writeAccount(n, user, rt, t0.Add(5*24*time.Hour))
		ep.live(rt, user)
	}
	e.seed()
	st := e.status()
	for i, a := range st.Accounts {
		switch a.Account {
		case 2:
			a.ParkReason = "LiteLLM reported an authentication failure (HTTP 403)"
		case 3:
			a.ParkReason = "refresh token rejected: refresh failed: HTTP 401: <html>Unauthorized</html>"
		case 4:
			a.ParkReason = "refresh token rejected: refresh failed: HTTP 400 (refresh_token_reused): already used"
			a.LastError = "refresh failed: HTTP 400 (refresh_token_reused): already used"
		default:
			continue
		}
		a.ParkedPermanently, a.NeedsDeviceAuth, a.State = true, true, StateNeedsDeviceAuth
		st.Accounts[i] = a
	}
	e.writeFile(StatusFileName, mustJSON(t, st))

	r := e.rotator()
	r.Start(context.Background())
	for _, n := range []int{2, 3} {
		wantNoLoginAdvice(t, e, n)
		if live := ep.liveToken("u" + itoa(int64(n))); e.accountRT(n) != live {
			t.Errorf("auth-%d.json holds %q, want %q: its login was not checked", n, e.accountRT(n), live)
		}
	}
	wantNeedsLogin(t, e, 4, "refresh_token_reused")
	if a := e.account(4); a.DeadTokenCode != "refresh_token_reused" {
		t.Errorf("account 4 = %+v, want dead_token_code refresh_token_reused", a)
	}
	if seen := strings.Join(ep.seenTokens(), ","); strings.Contains(seen, "rt-4") {
		t.Errorf("token endpoint saw %s: account 4's dead token was presented again", seen)
	}
	if reused := ep.reusedTokens(); len(reused) != 0 {
		t.Errorf("spent tokens presented again: %v", reused)
	}
}
