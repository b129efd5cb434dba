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
