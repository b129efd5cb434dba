package rotator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud-codex/codexauth"
	"cloud-codex/internal/gosource/gosourcetest"
)

// Issue 18: three ways the rotator lost a refresh token. Each test runs against an endpoint
// that spends a refresh token on receipt, as OpenAI's does.

// withEndpoint points e at a rotating endpoint on e's clock.
func withEndpoint(e *env) *rotatingEndpoint {
	ep := newRotatingEndpoint(e.t, e.clock.Now)
	e.cfg.TokenURL = ep.URL
	return ep
}

// 1. seed on a volume it cannot write: it must prove the volume writable before spending
// any token, and fail (exit 1) naming the volume.
func TestSeedOnAnUnwritableVolumeSpendsNoToken(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"read-only mount", syscall.EROFS},
		{"full disk", syscall.ENOSPC},
		{"directory owned by another user", syscall.EACCES},
	} {
		for _, wait := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: ", --no-wait", true: ", waiting"}[wait], func(t *testing.T) {
				e := newEnv(t)
				ep := withEndpoint(e)
				e.writeAccount(1, "u1", "rt-1", t0.Add(-time.Hour))
				e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
				ep.live("rt-1", "u1")
				ep.live("rt-2", "u2")
				e.cfg.writer.refuse = func(string) error { return tc.err }

				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_, err := SeedWait(ctx, e.cfg, time.Millisecond, wait)
				var ve *VolumeError
				if !errors.As(err, &ve) || !errors.Is(err, tc.err) || !strings.Contains(err.Error(), e.dir) {
					t.Fatalf("SeedWait = %v; want a *VolumeError naming %s and wrapping %v", err, e.dir, tc.err)
				}
				if seen := ep.seenTokens(); len(seen) != 0 {
					t.Errorf("seed spent refresh tokens %v on a volume that cannot store the result", seen)
				}
				if e.accountRT(1) != "rt-1" || e.accountRT(2) != "rt-2" {
					t.Errorf("account files changed: %q, %q", e.accountRT(1), e.accountRT(2))
				}
				if strings.Contains(e.logs.String(), "auth-login") {
					t.Errorf("seed told the operator to log in although every account is healthy:\n%s", e.logs.String())
				}
			})
		}
	}
}

// The disk fills between the probe and the write-back: seed neither spends another token
// nor returns (with or without --no-wait) while the only copy of a pair is in memory.
func TestSeedHoldsAnUnsavedPairUntilItIsWritten(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.writeAccount(1, "u1", "rt-1", t0.Add(-time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	ep.live("rt-1", "u1")
	ep.live("rt-2", "u2")
	full := make(chan struct{})
	e.cfg.writer.refuse = func(target string) error {
		select {
		case <-full:
			return nil
		default:
		}
		if filepath.Base(target) == "auth-1.json" {
			return syscall.ENOSPC
		}
		return nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := SeedWait(context.Background(), e.cfg, 5*time.Millisecond, false)
		done <- err
	}()
	for strings.Count(e.logs.String(), "UNSAVED") < 3 {
		select {
		case err := <-done:
			t.Fatalf("SeedWait returned (%v) holding account 1's refreshed pair in memory only", err)
		case <-time.After(time.Millisecond):
		}
	}
	if !strings.Contains(e.logs.String(), e.dir) {
		t.Errorf("the UNSAVED message does not name the volume %s:\n%s", e.dir, e.logs.String())
	}
	close(full) // the operator frees space
	if err := <-done; err != nil {
		t.Fatalf("SeedWait after the disk recovered = %v", err)
	}
	if got := ep.seenTokens(); strings.Join(got, ",") != "rt-1" {
		t.Errorf("endpoint saw %v; want only rt-1 (no token spent while a pair was unsaved)", got)
	}
	if e.accountRT(1) != ep.liveToken("u1") || e.flat().RefreshToken != ep.liveToken("u1") {
		t.Errorf("auth-1.json %q, flat %q; want the live %q", e.accountRT(1), e.flat().RefreshToken, ep.liveToken("u1"))
	}
}

// 3. LiteLLM abandons its event POST while the switch it triggered is refreshing the next
// account: the refresh completes and is stored.
func TestAbandonedEventPostDoesNotCancelTheRefresh(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour)) // needs a refresh before LiteLLM gets it
	ep.live("rt-2", "u2")
	e.seed()
	r := e.rotator()
	r.Start(t.Context())
	srv := newEventServer(t, r)

	holding, release := make(chan struct{}), make(chan struct{})
	ep.setHold(func(req *http.Request) {
		close(holding)
		<-release
		// A caller that gave up has closed the connection by now; one that waits has not.
		select {
		case <-req.Context().Done():
		case <-time.After(time.Second):
		}
	})
	e.clock.Advance(5 * time.Minute)
	body := string(mustJSON(t, []any{failurePayload(e.clock.Now().Add(-time.Second), "chatgpt", "429", "RateLimitError", usageLimitText)}))

	ctx, cancel := context.WithCancel(context.Background())
	posted := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+EventsPath, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		posted <- err
	}()
	<-holding // rt-2 is spent now
	cancel()  // LiteLLM gives up on its POST
	if err := <-posted; err == nil {
		t.Fatal("the POST completed although it was cancelled")
	}
	close(release)

	deadline := time.Now().Add(10 * time.Second)
	for e.accountRT(2) == "rt-2" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	srv.Close() // waits for the handler
	if got, want := e.accountRT(2), ep.liveToken("u2"); got != want {
		t.Errorf("auth-2.json holds %q, want the issued %q (the refresh was cancelled with the POST)", got, want)
	}
	if got := e.flat().RefreshToken; got != ep.liveToken("u2") {
		t.Errorf("LiteLLM holds %q, want account 2's new token", got)
	}
	if reused := ep.reusedTokens(); len(reused) != 0 {
		t.Errorf("spent tokens presented again: %v", reused)
	}
}

// 2. SIGTERM (pod deletion, rollout, drain) reaches the real binary while a refresh is in
// flight: the exchange completes and its result is on disk before the process exits.
func TestSIGTERMDuringARefreshKeepsTheNewToken(t *testing.T) {
	bin := gosourcetest.Build(t, SourceFiles(), BuildPackage)
	now := time.Now()
	dir := t.TempDir()
	ep := newRotatingEndpoint(t, time.Now)
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	one := tokens(t, "u1", "rt-1", now.Add(5*24*time.Hour))
	write("auth-1.json", codexAuthJSON(t, one))
	write("auth-2.json", codexAuthJSON(t, tokens(t, "u2", "rt-2", now.Add(-time.Hour))))
	ep.live("rt-2", "u2")
	flat, err := codexauth.NewCodexAuth(one, now).Flat()
	if err != nil {
		t.Fatal(err)
	}
	write("auth.json", mustJSON(t, flat))
	// Account 1 has been active for an hour: the first tick rotates to account 2, which
	// has to be refreshed first.
	since := now.Add(-time.Hour)
	write(StatusFileName, mustJSON(t, Status{Active: 1, ActiveSince: &since}))

	holding, release := make(chan struct{}), make(chan struct{})
	ep.setHold(func(req *http.Request) {
		close(holding)
		<-release
		// A rotator that cancels its exchange on SIGTERM has closed the connection by
		// now; one that lets it complete has not.
		select {
		case <-req.Context().Done():
		case <-time.After(time.Second):
		}
	})
	var stderr syncBuffer
	cmd := exec.Command(bin, "run", "--dir", dir, "--accounts", "1,2", "--interval", "30m",
		"--listen", "127.0.0.1:0", "--token-url", ep.URL)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	select {
	case <-holding:
	case err := <-exited:
		t.Fatalf("rotator exited before refreshing (%v):\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("rotator never refreshed account 2:\n%s", stderr.String())
	}
	// rt-2 is spent now. The kubelet stops the pod.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	close(release)

	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("rotator exited with %v after SIGTERM:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second): // the pod's termination grace period
		t.Fatalf("rotator did not exit within the 30 s grace period:\n%s", stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "auth-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := codexauth.ParseCodexAuth(data)
	live := ep.liveToken("u2")
	if err != nil || a.Tokens.RefreshToken != live {
		t.Errorf("auth-2.json holds %q (%v), want the token the endpoint issued, %q:\n%s", a.Tokens.RefreshToken, err, live, stderr.String())
	}
	if reused := ep.reusedTokens(); len(reused) != 0 {
		t.Errorf("spent tokens presented again: %v", reused)
	}
	var st Status
	if data, err := os.ReadFile(filepath.Join(dir, StatusFileName)); err != nil || json.Unmarshal(data, &st) != nil {
		t.Errorf("status file unreadable after shutdown: %v", err)
	}
}

// newEventServer serves r's LiteLLM event listener on loopback.
func newEventServer(t *testing.T, r *Rotator) *httptest.Server {
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	return srv
}
