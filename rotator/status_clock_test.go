package rotator

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

// The rotator container restarts (without seed) and finds a status file written while
// this machine's clock was a year ahead (an NTP step back since), or damaged: active_since
// and a transient park lie far in the future. Taken as they are, the active account is
// never rotated, every LiteLLM event is charged to no account (its start precedes the
// only known activation), and account 2 is left out for a year.
func TestStatusFileFromTheFutureDoesNotStopRotation(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
	e.seed()

	ahead := 365 * 24 * time.Hour
	var st map[string]any
	data, err := os.ReadFile(e.path(StatusFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	st["updated_at"] = t0.Add(ahead)
	st["active_since"] = t0.Add(ahead)
	for _, a := range st["accounts"].([]any) {
		a := a.(map[string]any)
		if a["account"].(float64) == 2 {
			a["parked_until"] = t0.Add(ahead + 5*time.Minute)
			a["park_reason"] = "rate limited (HTTP 429 from the token endpoint)"
		}
	}
	e.writeFile(StatusFileName, mustJSON(t, st))

	r := e.rotator()
	r.Start(t.Context())
	// A 429 of a request that started now is LiteLLM's active account's.
	e.clock.Advance(6 * time.Minute) // account 2's park, moved back by the clock's lead, has ended
	r.HandleRateLimit(t.Context(), e.clock.Now(), "Rate limit reached")
	if got := e.flat().RefreshToken; got != "rt-2" {
		t.Errorf("after a 429 on account 1 LiteLLM holds %q, want account 2's rt-2 (account 2 was parked only for minutes)", got)
	}
	if a := e.account(1); a.ParkedUntil == nil {
		t.Errorf("the 429 was charged to no account: account 1 = %+v", a)
	}
	// And the interval runs again from a believable start.
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
	if a := e.status(); a.ActiveSince == nil || a.ActiveSince.After(e.clock.Now()) {
		t.Errorf("active_since = %v, after now %v", a.ActiveSince, e.clock.Now())
	}
}
