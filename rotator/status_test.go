package rotator

import (
	"strings"
	"testing"
	"time"
)

func TestFormatStatus(t *testing.T) {
	e, _ := envWithDeadAccount2(t)

	var b strings.Builder
	if err := FormatStatus(&b, e.status(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"LiteLLM uses account 1",
		"ACCOUNT", "ACCESS TOKEN EXPIRES",
		"1        rotation  active",
		"2        rotation  needs-device-auth",
		"3        reserved  reserved",
		"until a new login",
		"refresh_token_reused",
		"account 2 (needs-device-auth): run a new device-auth login: kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "rt-1") || strings.Contains(out, "rt-2") {
		t.Errorf("status output shows a refresh token:\n%s", out)
	}
}

func TestStatusFileHoldsNoSecrets(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-secret-1", t0.Add(5*24*time.Hour))
	e.seed()
	data := string(mustJSON(t, e.status()))
	if strings.Contains(data, "rt-secret-1") || strings.Contains(data, accessToken(t, "u1", t0.Add(5*24*time.Hour))) {
		t.Errorf("status file holds a token: %s", data)
	}
}

// last_error describes what is wrong with an account now: once the account recovers (its
// file is readable again, a refresh or a held pair's write succeeds) the error is cleared,
// so the operator is not sent to fix what is already fixed.
func TestLastErrorIsClearedWhenTheAccountRecovers(t *testing.T) {
	t.Run("login imported", func(t *testing.T) {
		e := newEnv(t)
		e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
		r := e.seed()
		wantError(t, e, 2, "does not exist")
		if err := Import(e.cfg, 2, codexAuthJSON(t, tokens(t, "u2", "rt-2", t0.Add(5*24*time.Hour)))); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		r.Tick(t.Context())
		if a := e.account(2); a.State != StateReady || a.LastError != "" || a.LastErrorAt != nil {
			t.Errorf("account 2 = %+v; want ready with no last error", a)
		}
	})
	t.Run("refresh succeeds after a failure", func(t *testing.T) {
		e := newEnv(t)
		e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
		e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
		e.server.setHandler(answer(503, `upstream down`))
		r := e.seed()
		e.clock.Advance(31 * time.Minute)
		r.Tick(t.Context())
		wantError(t, e, 2, "HTTP 503")
		e.server.setHandler(grant(t, "u2", "rt-2b", e.clock.Now()))
		e.clock.Advance(DefaultTransientPark + time.Minute)
		r.Tick(t.Context())
		if a := e.account(2); !a.Active || a.LastError != "" {
			t.Errorf("account 2 = %+v; want active with no last error", a)
		}
	})
	t.Run("held pair written", func(t *testing.T) {
		e := newEnv(t)
		ep := withEndpoint(e)
		e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
		e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
		ep.live("rt-2", "u2")
		e.seed()
		fix := failRenameOnto(e, "auth-2.json")
		r := e.rotator()
		e.clock.Advance(31 * time.Minute)
		r.Start(t.Context())
		e.clock.Advance(time.Minute)
		r.Tick(t.Context())
		wantError(t, e, 2, "not written back")
		fix()
		e.clock.Advance(time.Minute)
		r.Tick(t.Context())
		if a := e.account(2); a.LastError != "" {
			t.Errorf("account 2 = %+v; the write succeeded, want no last error", a)
		}
	})
}
