package rotator

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// failRenameOnto makes every write of the named file fail at its rename (EBUSY, as a
// file bind-mounted read-only over the volume does) until the returned func is called.
func failRenameOnto(e *env, name string) (fix func()) {
	broken := true
	e.cfg.writer.rename = func(oldpath, newpath string) error {
		if broken && strings.HasSuffix(newpath, "/"+name) {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EBUSY}
		}
		return os.Rename(oldpath, newpath)
	}
	return func() { broken = false }
}

// In run, as in seed: once a refreshed pair is held in memory only, no other token is
// spent until it is stored, and the account shows as unsaved, not ready.
func TestRunSpendsNoOtherTokenWhileAPairIsUnsaved(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.cfg.Accounts, e.cfg.Reserved = []int{1, 2, 3}, nil
	e.writeAccount(1, "u1", "rt-1", t0.Add(-time.Hour)) // both need a refresh before use
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	e.writeAccount(3, "u3", "rt-3", t0.Add(5*24*time.Hour))
	ep.live("rt-1", "u1")
	ep.live("rt-2", "u2")
	if n, err := e.rotator().Seed(t.Context()); err != nil || n != 3 {
		t.Fatalf("Seed = %d, %v; want account 3", n, err)
	}
	fix := failRenameOnto(e, "auth-1.json")
	r := e.rotator()
	r.Start(t.Context())
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())

	if seen := ep.seenTokens(); strings.Join(seen, ",") != "rt-1" {
		t.Errorf("endpoint saw %v; want only rt-1: no other token may be spent while account 1's pair is unsaved", seen)
	}
	if e.accountRT(2) != "rt-2" || e.flat().RefreshToken != "rt-3" {
		t.Errorf("auth-2.json %q, flat %q; want account 2 untouched and LiteLLM still on account 3", e.accountRT(2), e.flat().RefreshToken)
	}
	if a := e.account(1); a.State != StateUnsaved || !strings.Contains(a.Action, "do not delete the pod") {
		t.Errorf("account 1 = %+v; want state %q with what to do", a, StateUnsaved)
	}

	fix() // the operator repairs the volume
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if got, want := e.accountRT(1), ep.liveToken("u1"); got != want {
		t.Errorf("auth-1.json holds %q, want the kept %q", got, want)
	}
	if a := e.account(1); a.State == StateUnsaved {
		t.Errorf("account 1 = %+v; still unsaved after the write succeeded", a)
	}
	if reused := ep.reusedTokens(); len(reused) != 0 {
		t.Errorf("spent tokens presented again: %v", reused)
	}
}

// A run stopped while a refreshed pair is still unsaved does not report success: the pair
// dies with the process, and the exit says so.
func TestRunStoppedWithAnUnsavedPairFails(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	ep.live("rt-2", "u2")
	e.seed()
	// Account 1 has been active for an hour: the first tick rotates to account 2, which has
	// to be refreshed first, and its write-back fails.
	since := t0.Add(-time.Hour)
	e.writeFile(StatusFileName, mustJSON(t, Status{Active: 1, ActiveSince: &since}))
	failRenameOnto(e, "auth-2.json")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, e.cfg, "127.0.0.1:0") }()
	deadline := time.Now().Add(10 * time.Second)
	for len(ep.seenTokens()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
	var u *UnsavedTokensError
	if !errors.As(err, &u) || len(u.Accounts) != 1 || u.Accounts[0] != 2 {
		t.Fatalf("Run stopped with %v; want an *UnsavedTokensError for account 2", err)
	}
	if msg := err.Error(); strings.Contains(msg, "keeps retrying") || !strings.Contains(msg, "auth-login 2") {
		t.Errorf("the stop message %q should say the pair is lost and name auth-login 2, not promise retries", msg)
	}
	if e.accountRT(2) != "rt-2" || e.flat().RefreshToken != "rt-1" {
		t.Errorf("auth-2.json %q, flat %q", e.accountRT(2), e.flat().RefreshToken)
	}
}

// seed is stopped (SIGTERM) while the exchange whose pair cannot be written is in flight:
// it makes one last attempt to save the pair and, if that fails too, exits saying the pair
// is lost and which auth-login brings the account back; not that it keeps retrying.
func TestSeedStoppedWithAnUnsavedPairSaysItIsLost(t *testing.T) {
	for _, recovers := range []bool{false, true} {
		t.Run(map[bool]string{false: "volume still full", true: "volume recovers at the stop"}[recovers], func(t *testing.T) {
			e := newEnv(t)
			ep := withEndpoint(e)
			e.cfg.Accounts, e.cfg.Reserved = []int{1}, nil
			e.writeAccount(1, "u1", "rt-1", t0.Add(-time.Hour))
			ep.live("rt-1", "u1")
			ctx, cancel := context.WithCancel(context.Background())
			failed := 0
			e.cfg.writer.refuse = func(target string) error {
				if strings.HasSuffix(target, "/auth-1.json") && (failed == 0 || !recovers) {
					failed++
					return syscall.ENOSPC
				}
				return nil
			}
			ep.setHold(func(*http.Request) { cancel() }) // the pod is stopped; rt-1 is spent
			_, err := SeedWait(ctx, e.cfg, time.Hour, true)
			if recovers {
				if !errors.Is(err, context.Canceled) || e.accountRT(1) != ep.liveToken("u1") {
					t.Errorf("SeedWait = %v, auth-1.json %q; want the pair saved by the last attempt (%q)", err, e.accountRT(1), ep.liveToken("u1"))
				}
				return
			}
			var u *UnsavedTokensError
			if !errors.As(err, &u) || !u.Lost || !strings.Contains(err.Error(), "auth-login 1") {
				t.Errorf("SeedWait = %v; want the pair reported lost, naming auth-login 1", err)
			}
			if strings.Contains(e.logs.String(), "retrying in") || strings.Contains(err.Error(), "keeps retrying") {
				t.Errorf("a stopped seed promised to keep retrying:\n%v\n%s", err, e.logs.String())
			}
		})
	}
}
