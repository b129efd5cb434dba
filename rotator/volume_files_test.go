package rotator

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// auth-1.json is a symbolic link to reserved account 3's file (an operator "moving" an
// account by linking it). Following it reads, refreshes and spends the reserved account's
// token, which the rotator must never touch.
func TestSymlinkedAccountFileIsNotFollowed(t *testing.T) {
	e := newEnv(t)
	ep := newRotatingEndpoint(t, e.clock.Now)
	e.cfg.TokenURL = ep.URL
	ep.live("rt-3", "u3")
	reserved := codexAuthJSON(t, tokens(t, "u3", "rt-3", t0.Add(-time.Hour)))
	e.writeFile("auth-3.json", reserved)
	if err := os.Symlink("auth-3.json", e.path("auth-1.json")); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.WriteFile(outside, codexAuthJSON(t, tokens(t, "u9", "rt-9", t0.Add(5*24*time.Hour))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, e.path("auth-2.json")); err != nil {
		t.Fatal(err)
	}

	r := e.rotator()
	_, err := r.Seed(context.Background())
	if err == nil {
		t.Errorf("seed used an account file that is a symbolic link; flat file: %+v", e.flat())
	}
	if seen := ep.seenTokens(); len(seen) != 0 {
		t.Errorf("the token endpoint saw %v: the reserved account's token was spent", seen)
	}
	if data, _ := os.ReadFile(e.path("auth-3.json")); !bytes.Equal(data, reserved) {
		t.Error("the reserved account's file changed")
	}
	if a := e.account(1); a.State != StateUnreadable || !strings.Contains(a.LastError, "symbolic link") {
		t.Errorf("account 1 = %+v, want unreadable, saying it is a symbolic link", a)
	}
}

// A file far larger than any login must not be read whole into memory.
func TestHugeAccountFileIsRefused(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	login := codexAuthJSON(t, tokens(t, "u2", "rt-2", t0.Add(5*24*time.Hour)))
	huge := append(bytes.Repeat([]byte(" "), 1<<20+1), login...)
	e.writeFile("auth-2.json", huge)
	r := e.seed()
	_ = r
	if a := e.account(2); a.State != StateInvalid || !strings.Contains(a.LastError, "larger than") {
		t.Errorf("account 2 = %+v, want invalid: larger than any login", a)
	}
}
