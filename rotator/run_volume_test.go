package rotator

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// refuseProbe makes the volume refuse the write probe (a full or read-only volume, as the
// probe sees it), so no refresh may spend a token, until the returned func is called.
func refuseProbe(e *env) (fix func()) {
	broken := true
	e.cfg.writer.refuse = func(target string) error {
		if broken && filepath.Base(target) == probeFileName {
			return syscall.ENOSPC
		}
		return nil
	}
	return func() { broken = false }
}

// In run, an account the volume keeps from being refreshed shows the reason in its
// last_error and action, naming the volume; no login is asked for.
func TestRunNamesTheVolumeThatBlocksARefresh(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour)) // needs a refresh before LiteLLM gets it
	ep.live("rt-2", "u2")
	r := e.seed()
	fix := refuseProbe(e)
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
	if seen := ep.seenTokens(); len(seen) != 0 {
		t.Fatalf("token endpoint saw %v on a volume that cannot store the result", seen)
	}
	a := e.account(2)
	if !strings.Contains(a.LastError, "auth volume "+e.dir) || !strings.Contains(a.Action, "fix the volume "+e.dir) {
		t.Errorf("account 2 = %+v; want last_error and action naming the volume %s", a, e.dir)
	}
	wantNoLoginAdvice(t, e, 2)

	fix() // the operator frees space
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if a := e.account(2); a.LastError != "" || strings.Contains(a.Action, "volume") {
		t.Errorf("account 2 = %+v; the volume is fixed, its last_error and action must say nothing of it", a)
	}
	if live := ep.liveToken("u2"); e.flat().RefreshToken != live {
		t.Errorf("LiteLLM holds %q, want account 2's %q", e.flat().RefreshToken, live)
	}
}

// When the volume keeps every account from being refreshed and LiteLLM's token runs out,
// the pool is not ready and says to fix the volume, not to log in.
func TestRunNotReadyBecauseOfTheVolumeSaysSo(t *testing.T) {
	e, _, r := guardEnv(t, t0.Add(-time.Hour)) // account 2 would need a refresh too
	refuseProbe(e)
	e.tickUntil(r, 20, func() bool { return !e.status().Ready })
	data, _ := os.ReadFile(e.path(codexauth.AuthFileName))
	if !isFailFast(data) {
		t.Fatalf("flat file = %s, want the fail-fast file", data)
	}
	st := e.status()
	if !strings.Contains(st.NotReadyReason, "fix the volume "+e.dir) || strings.Contains(st.NotReadyReason, "auth-login") {
		t.Errorf("not_ready_reason = %q; want it to name the volume, and no login", st.NotReadyReason)
	}
	if !strings.Contains(string(data), "fix the volume") {
		t.Errorf("the fail-fast file's action does not name the volume: %s", data)
	}
}
