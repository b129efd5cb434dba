//go:build unix

package rotator

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// A FIFO named auth-1.json (or any file whose open blocks) must not hang the rotator: a
// blocked read holds its lock, so the guard never runs and LiteLLM's token expires.
func TestFIFOAccountFileDoesNotHang(t *testing.T) {
	e := newEnv(t)
	if err := syscall.Mkfifo(e.path("auth-1.json"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
	done := make(chan error, 1)
	go func() {
		_, err := e.rotator().Seed(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("seed hangs on a FIFO named auth-1.json")
	}
	if got := e.flat().RefreshToken; got != "rt-2" {
		t.Errorf("LiteLLM holds %q, want rt-2", got)
	}
	if a := e.account(1); a.State != StateUnreadable {
		t.Errorf("account 1 = %+v, want unreadable", a)
	}
}
