package rotator

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The endpoint spends a refresh token on receipt. A request abandoned after it was sent
// (on a short client deadline) may have spent the token with the answer still on its way:
// the retry meets refresh_token_reused and the account is dead. Once sent, an exchange
// waits for its answer (AnswerTimeout, minutes), whatever the HTTP client's own Timeout.
func TestSlowAnswerIsWaitedFor(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.cfg.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour)) // needs a refresh before LiteLLM gets it
	ep.live("rt-2", "u2")
	r := e.seed()
	ep.setHold(func(*http.Request) { time.Sleep(400 * time.Millisecond) })
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
	live := ep.liveToken("u2")
	if e.accountRT(2) != live || e.flat().RefreshToken != live {
		t.Errorf("auth-2.json %q, flat %q; want the slow answer's %q in both:\n%s", e.accountRT(2), e.flat().RefreshToken, live, e.logs.String())
	}
	if reused := ep.reusedTokens(); len(reused) != 0 {
		t.Errorf("spent tokens presented again: %v", reused)
	}
}

// Stopping (SIGTERM) while a sent exchange waits for its answer: the exchange goes on, but
// only for StopWait, so the process still stores what it has and exits inside the pod's
// grace period; the error says the token was possibly spent.
func TestStopBoundsTheWaitForASentExchange(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	ep.live("rt-1", "u1")
	r := e.rotator()
	r.ref.timing.stop = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	ep.setHold(func(req *http.Request) {
		cancel() // the kubelet stops the pod; the token is spent already
		select {
		case <-req.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	start := time.Now()
	_, err := r.ref.refresh(ctx, tokens(t, "u1", "rt-1", t0))
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the exchange took %s after the stop, want about %s", d, r.ref.timing.stop)
	}
	var re *refreshError
	if !errors.As(err, &re) || !re.PossiblySpent || re.Stopped || !strings.Contains(re.Detail, "stop signal") {
		t.Errorf("refresh = %v; want a failure saying the token was possibly spent, after the stop", err)
	}
}

// Stopped before anything is sent: nothing is spent, and the account is not charged.
func TestStopBeforeSendingSpendsNothing(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	ep.live("rt-1", "u1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.rotator().ref.refresh(ctx, tokens(t, "u1", "rt-1", t0))
	var re *refreshError
	if !errors.As(err, &re) || !re.Stopped || re.PossiblySpent {
		t.Errorf("refresh = %v; want nothing sent", err)
	}
	if seen := ep.seenTokens(); len(seen) != 0 {
		t.Errorf("token endpoint saw %v after the stop", seen)
	}
}
