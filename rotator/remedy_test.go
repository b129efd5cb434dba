package rotator

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// Issue D8: the operator is told to run a device login only when a login is what is
// missing. A token endpoint outage or a temporary park is waited out; a file the rotator
// cannot read is a volume problem.

// The token endpoint is down while seed needs a refresh: seed waits, but says that no login
// is needed, and --no-wait's error says the same.
func TestSeedDuringAnEndpointOutageAsksForNoLogin(t *testing.T) {
	e := newEnv(t)
	e.cfg.Accounts, e.cfg.Reserved = []int{1}, nil
	e.writeAccount(1, "u1", "rt-1", t0.Add(-time.Hour))
	e.server.setHandler(answer(503, `upstream down`))
	_, err := SeedWait(context.Background(), e.cfg, time.Hour, false)
	var none *NoUsableAccountError
	if !errors.As(err, &none) {
		t.Fatalf("SeedWait = %v, want a *NoUsableAccountError", err)
	}
	if none.NeedsLogin || strings.Contains(none.Remedy(), "auth-login") || !strings.Contains(none.Remedy(), "no login is needed") {
		t.Errorf("NeedsLogin %v, remedy %q; want no login asked for", none.NeedsLogin, none.Remedy())
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := SeedWait(ctx, e.cfg, 5*time.Millisecond, true); done <- err }()
	for !strings.Contains(e.logs.String(), "WAITING") {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, "WAITING") && (strings.Contains(line, "auth-login") || !strings.Contains(line, "no login is needed")) {
			t.Errorf("WAITING line asks for a login during an endpoint outage: %s", line)
		}
	}
}

// A dead account and an account down for a while: the login is named for the dead one, and
// the message says the other may come back by itself.
func TestNoUsableAccountNamesTheLoginOnlyForTheDeadAccount(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(-time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	e.server.setHandler(func(w http.ResponseWriter, rt string) {
		if rt == "rt-1" {
			answer(503, `upstream down`)(w, rt)
			return
		}
		answer(401, `{"error":{"code":"refresh_token_expired"}}`)(w, rt)
	})
	_, err := e.rotator().Seed(context.Background())
	var none *NoUsableAccountError
	if !errors.As(err, &none) {
		t.Fatalf("Seed = %v", err)
	}
	if none.NeedsLogin || none.Login != 2 || !strings.Contains(none.Remedy(), "auth-login 2") {
		t.Errorf("NeedsLogin %v, login %d, remedy %q; want account 2's login named, and not all accounts needing one", none.NeedsLogin, none.Login, none.Remedy())
	}
}

// An account file the rotator cannot read is a volume problem: its state says so, nobody is
// told to import a login, and seed with nothing else usable fails naming the volume.
func TestUnreadableAccountFileIsAVolumeProblem(t *testing.T) {
	e := newEnv(t)
	e.cfg.Accounts, e.cfg.Reserved = []int{1}, nil
	if err := os.Mkdir(e.path("auth-1.json"), 0o700); err != nil { // read() fails: EISDIR
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := SeedWait(ctx, e.cfg, 10*time.Millisecond, true)
	var ve *VolumeError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "auth-1.json") {
		t.Fatalf("SeedWait = %v, want a *VolumeError naming auth-1.json", err)
	}
	if strings.Contains(e.logs.String(), "auth-login") || strings.Contains(e.logs.String(), "import a login") {
		t.Errorf("the log asks for a login for an unreadable file:\n%s", e.logs.String())
	}
	a := e.account(1)
	if a.State != StateUnreadable || strings.Contains(a.Action, "auth-login") || !strings.Contains(a.Action, "volume") {
		t.Errorf("account 1 = %+v, want state %q with a volume action", a, StateUnreadable)
	}
}

// The rotator was down at the end of the only account's token: it writes the fail-fast
// file and leaves the account alone while LiteLLM may be refreshing it. Nothing is wrong
// with the login, so nobody is told to log in, and the account comes back by itself.
func TestQuarantineFailFastAsksForNoLogin(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.cfg.Accounts, e.cfg.Reserved = []int{1}, nil
	e.writeAccount(1, "u1", "rt-1", t0.Add(40*time.Second))
	ep.live("rt-1", "u1")
	e.liteLLMHoldsActive(tokens(t, "u1", "rt-1", t0.Add(40*time.Second)))
	r := e.rotator()
	r.Start(t.Context())
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))

	st := e.status()
	data, _ := os.ReadFile(e.path(codexauth.AuthFileName))
	if st.Ready || !isFailFast(data) {
		t.Fatalf("status %+v, flat %s; want the fail-fast file", st, data)
	}
	for what, text := range map[string]string{"not_ready_reason": st.NotReadyReason, "fail-fast file": string(data), "decision": st.LastDecision} {
		if strings.Contains(text, "auth-login") || !strings.Contains(text, "no login is needed") {
			t.Errorf("%s = %q; want it to say no login is needed", what, text)
		}
	}
	back := e.tickUntil(r, 10, func() bool { return e.status().Ready })
	if back.Sub(t0) > DefaultTransientPark+2*time.Minute || e.accountRT(1) != ep.liveToken("u1") || e.flat().RefreshToken != ep.liveToken("u1") {
		t.Errorf("ready again at %s; auth-1.json %q, flat %q; want account 1 refreshed and back after the park", back, e.accountRT(1), e.flat().RefreshToken)
	}
}
