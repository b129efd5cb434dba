package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud-codex/rotator"
)

// ready is the pool's readiness probe: it passes while LiteLLM's token file holds an
// account and the rotator keeps the status file current, and fails with the reason (shown
// in the pod's events) otherwise.
func TestReadyProbe(t *testing.T) {
	dir := t.TempDir()
	if code, out, _ := runCLI(t, "", "ready", "--dir", dir); code != exitNotReady || !strings.Contains(out, "not ready") {
		t.Errorf("ready before seed = %d %q, want not ready", code, out)
	}
	os.WriteFile(filepath.Join(dir, "auth-1.json"), login(t, "u1", "rt-1"), 0o600)
	if code, _, stderr := runCLI(t, "", "seed", "--dir", dir, "--accounts", "1", "--no-wait"); code != exitOK {
		t.Fatalf("seed = %d: %s", code, stderr)
	}
	if code, out, _ := runCLI(t, "", "ready", "--dir", dir); code != exitOK || !strings.Contains(out, "account 1") {
		t.Errorf("ready after seed = %d %q, want ready with account 1", code, out)
	}

	write := func(st rotator.Status) {
		t.Helper()
		data, _ := json.Marshal(st)
		if err := os.WriteFile(filepath.Join(dir, rotator.StatusFileName), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	why := "no usable ChatGPT account in rotation; log one in: kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 2"
	write(rotator.Status{UpdatedAt: time.Now(), Ready: false, NotReadyReason: why})
	if code, out, _ := runCLI(t, "", "ready", "--dir", dir); code != exitNotReady || !strings.Contains(out, "auth-login 2") {
		t.Errorf("ready with no usable account = %d %q, want not ready naming the command", code, out)
	}
	write(rotator.Status{UpdatedAt: time.Now().Add(-time.Hour), Active: 1, Ready: true})
	if code, out, _ := runCLI(t, "", "ready", "--dir", dir); code != exitNotReady || !strings.Contains(out, "not running") {
		t.Errorf("ready with a stale status = %d %q, want not ready", code, out)
	}
	if code, _, _ := runCLI(t, "", "ready", "--dir", dir, "--max-age", "0"); code != exitOK {
		t.Errorf("ready --max-age 0 with a stale status = %d, want ready", code)
	}
}

// The readiness probe's reason for a dead pool keeps the wording the runbooks quote
// (docs/runbooks/recover-when-every-account-is-dead.md).
func TestReadyReasonForADeadPoolNamesTheLogin(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var out, errOut strings.Builder
	// No account imported: run writes the fail-fast file and a not-ready status at once.
	run(ctx, []string{"run", "--dir", dir, "--accounts", "1,2", "--namespace", "cloud-codex", "--listen", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut)
	code, stdout, _ := runCLI(t, "", "ready", "--dir", dir)
	want := "not ready: no usable ChatGPT account in rotation; log one in: kubectl exec -n cloud-codex -it deploy/litellm -c codex-cli -- auth-login 1"
	if code != exitNotReady || !strings.HasPrefix(stdout, want) {
		t.Errorf("ready = %d %q, want it to start with %q", code, stdout, want)
	}
}
