package rotator

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// An empty directory where LiteLLM's token file belongs (a volume prepared by hand, or a
// mount that created the path as a directory) is, for LiteLLM, a missing file: its first
// request would start the device login. It holds no token, so the rotator replaces it
// with the flat file, in seed and in run.
func TestEmptyDirectoryInPlaceOfTheFlatFile(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
	if err := os.Mkdir(e.path("auth.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := e.rotator()
	if _, err := r.Seed(context.Background()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if got := e.flat().RefreshToken; got != "rt-1" {
		t.Errorf("after seed LiteLLM holds %q, want rt-1", got)
	}

	// The same while running.
	if err := os.Remove(e.path("auth.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(e.path("auth.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if got := e.flat().RefreshToken; got == "" {
		t.Errorf("while running LiteLLM's token file is not repaired")
	}

	// A directory with something in it is not removed: it is reported.
	if err := os.Remove(e.path("auth.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(e.path("auth.json/keep"), 0o700); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if _, err := os.Stat(e.path("auth.json/keep")); err != nil {
		t.Errorf("a non-empty directory was removed: %v", err)
	}
	// ready (the pool's probe) names it.
	st := e.status()
	why := st.NotReady(e.clock.Now(), ReadyMaxAge)
	if st.Ready || !strings.Contains(why, "auth.json in "+e.dir+" is a directory") || strings.Contains(why, "auth-login") {
		t.Errorf("ready says %q; want not ready, naming the directory in place of auth.json, and no login", why)
	}
}
