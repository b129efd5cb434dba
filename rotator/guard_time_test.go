package rotator

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// The guard's margin is time, and token exchanges take time. Each of these tests makes
// exchanges slow on the fake clock and checks that LiteLLM's file never holds a token
// inside LiteLLM's refresh window when the tick is over, or while an exchange waits.

// waitFor polls cond in real time (the watch runs in its own goroutine) for a few seconds.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return cond()
}

// The takeover's exchange is still waiting for its answer when LiteLLM's token gets down to
// its last 90 s: LiteLLM's file becomes the fail-fast file at once (LiteLLM must not
// refresh the token the rotator has just presented), the exchange goes on, and its pair is
// handed to LiteLLM when it arrives.
func TestSlowTakeoverPutsTheFailFastFileInPlaceInTime(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(5*24*time.Hour))
	r.cfg.watchEvery = time.Millisecond
	var failedFast bool
	ep.setHold(func(*http.Request) {
		e.clock.Advance(4 * time.Minute) // one minute left
		failedFast = waitFor(func() bool {
			data, err := os.ReadFile(e.path(codexauth.AuthFileName))
			return err == nil && isFailFast(data)
		})
	})
	e.clock.Advance(20*time.Minute - activeLead)
	r.Tick(t.Context())
	ep.setHold(nil)
	if !failedFast {
		t.Fatalf("while the exchange waited with a minute left, LiteLLM's file still held the token:\n%s", e.logs.String())
	}
	live := ep.liveToken("u1")
	if e.accountRT(1) != live || e.flat().RefreshToken != live {
		t.Errorf("auth-1.json %q, flat %q; want the exchange's pair %q in both", e.accountRT(1), e.flat().RefreshToken, live)
	}
	if st := e.status(); st.Active != 1 || !st.Ready {
		t.Errorf("status = %+v; want LiteLLM back on account 1, ready", st)
	}
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
}

// The takeover fails, and so does the refresh of the account that would replace it, each
// after a while: the tick must not end with LiteLLM's token too close to its refresh window
// for the next tick to act. Measured after the exchanges, it fails fast now.
func TestSlowFailuresAfterATakeoverFailFastWhenTimeIsShort(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(20*time.Minute))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour)) // needs a refresh before LiteLLM gets it
	e.seed()
	r := e.rotator()
	r.Start(t.Context())
	e.server.setHandler(func(w http.ResponseWriter, _ string) {
		e.clock.Advance(55 * time.Second)
		answer(503, "<html>Service Unavailable</html>")(w, "")
	})
	e.clock.Advance(20*time.Minute - 3*time.Minute - 30*time.Second) // 3m30s left
	r.Tick(t.Context())
	if got := strings.Join(e.server.refreshes(), ","); got != "rt-1,rt-2" {
		t.Fatalf("token endpoint saw %s, want the takeover and account 2's refresh", got)
	}
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
	data, _ := os.ReadFile(e.path(codexauth.AuthFileName))
	if !isFailFast(data) {
		t.Errorf("flat file = %s; want the fail-fast file (%s left on account 1's token)", data, t0.Add(20*time.Minute).Sub(e.clock.Now()))
	}
	wantNoLoginAdvice(t, e, 1)
	wantNoLoginAdvice(t, e, 2)
}

// One tick spends at most maxExchangesPerRound exchanges, however many accounts need one:
// each may wait minutes for its answer while the rotator holds LiteLLM's file.
func TestExchangesPerTickAreBounded(t *testing.T) {
	e := newEnv(t)
	e.cfg.Accounts, e.cfg.Reserved = []int{1, 2, 3, 4, 5}, nil
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	for _, n := range []int{2, 3, 4, 5} {
		e.writeAccount(n, "u"+itoa(int64(n)), "rt-"+itoa(int64(n)), t0.Add(-time.Hour))
	}
	r := e.seed()
	e.server.setHandler(answer(503, "<html>Service Unavailable</html>"))
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
	if got := e.server.refreshes(); len(got) != maxExchangesPerRound {
		t.Errorf("one tick presented %v to the token endpoint, want %d exchanges at most", got, maxExchangesPerRound)
	}
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if got := e.server.refreshes(); len(got) != 4 || got[3] != "rt-5" {
		t.Errorf("token endpoint saw %v; want account 5 tried at the next tick", got)
	}
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
}

// The takeover's pair cannot be written to auth-1.json, and its access token is
// short-lived: it is held, but not handed to LiteLLM, whose file must stay out of the
// validity floor. LiteLLM gets account 2 instead.
func TestHeldShortLivedTakeoverPairIsNotHandedToLiteLLM(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(5*24*time.Hour))
	ep.mu.Lock()
	ep.validFor = 5 * time.Minute
	ep.mu.Unlock()
	failRenameOnto(e, "auth-1.json")
	e.clock.Advance(20*time.Minute - activeLead)
	r.Tick(t.Context())
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
	if a := e.account(1); a.State != StateUnsaved {
		t.Errorf("account 1 = %+v, want its pair held (unsaved)", a)
	}
	if got := e.flat().RefreshToken; got != "rt-2" {
		t.Errorf("LiteLLM holds %q, want account 2 (the held pair's access token is inside the floor)", got)
	}
	if exp := e.flat().Expiry(); exp.Sub(e.clock.Now()) < DefaultMinValidity {
		t.Errorf("LiteLLM's token expires at %s, inside the %s floor", exp, DefaultMinValidity)
	}
}
