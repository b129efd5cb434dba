package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func login(t *testing.T, user, rt string) []byte {
	t.Helper()
	return loginExpiring(t, user, rt, time.Now().Add(48*time.Hour))
}

// loginExpiring is a codex login whose access token expires at exp.
func loginExpiring(t *testing.T, user, rt string, exp time.Time) []byte {
	t.Helper()
	claims, _ := json.Marshal(map[string]any{"sub": user, "exp": exp.Unix()})
	jwt := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(claims) + ".sig"
	data, _ := json.Marshal(map[string]any{
		"auth_mode": "chatgpt", "OPENAI_API_KEY": nil,
		"tokens": map[string]string{"id_token": jwt, "access_token": jwt, "refresh_token": rt},
	})
	return data
}

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--dir", dir, "--accounts", "1,2", "--reserved", "3", "--namespace", "agents", "--deployment", "litellm-pool"}
	with := func(cmd string, extra ...string) []string {
		return append(append([]string{cmd}, common...), extra...)
	}

	// Nothing imported yet: seed --no-wait exits 3 naming the command to run.
	code, _, stderr := runCLI(t, "", with("seed", "--no-wait")...)
	if code != exitNoAccount || !strings.Contains(stderr, "kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 1") {
		t.Fatalf("seed --no-wait = %d:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "auth.json")); err == nil {
		t.Fatal("seed wrote a flat file without an account")
	}

	// Import from stdin, and from a file with the flag after the account number.
	if code, _, stderr := runCLI(t, string(login(t, "u1", "rt-1")), with("import", "1")...); code != exitOK {
		t.Fatalf("import 1 = %d: %s", code, stderr)
	}
	file := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(file, login(t, "u3", "rt-3"), 0o600)
	code, _, stderr = runCLI(t, "", append(append([]string{"import"}, common...), "3", "--from", file)...)
	if code != exitOK || !strings.Contains(stderr, "reserved") {
		t.Fatalf("import 3 --from = %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, string(login(t, "u7", "rt-7")), with("import", "7")...); code != exitError || !strings.Contains(stderr, "not configured") {
		t.Errorf("import 7 = %d: %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "", with("import")...); code != exitUsage {
		t.Errorf("import without N = %d, want usage error", code)
	}

	if code, _, stderr := runCLI(t, "", with("seed", "--no-wait")...); code != exitOK {
		t.Fatalf("seed after import = %d: %s", code, stderr)
	}
	code, stdout, _ := runCLI(t, "", "status", "--dir", dir)
	if code != exitOK || !strings.Contains(stdout, "LiteLLM uses account 1") || !strings.Contains(stdout, "3        reserved  reserved") {
		t.Errorf("status = %d:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "", "status", "--dir", dir, "--json")
	if code != exitOK || !strings.Contains(stdout, `"active": 1`) {
		t.Errorf("status --json = %d:\n%s", code, stdout)
	}

	code, _, stderr = runCLI(t, "", with("run", "--interval", "10m", "--listen", "127.0.0.1:0")...)
	if code != exitUsage || !strings.Contains(stderr, "below the 30m0s minimum") {
		t.Errorf("run --interval 10m = %d: %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "", "frobnicate"); code != exitUsage {
		t.Errorf("unknown command = %d", code)
	}
	if code, _, stderr := runCLI(t, "", "seed", "--dir", dir, "--no-wait"); code != exitUsage || !strings.Contains(stderr, "--accounts is required") {
		t.Errorf("seed without --accounts = %d: %s", code, stderr)
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "auth-1.json"), login(t, "u1", "rt-1"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errOut strings.Builder
	go func() {
		done <- run(ctx, []string{"run", "--dir", dir, "--accounts", "1", "--interval", "30m", "--listen", "127.0.0.1:0"},
			strings.NewReader(""), &strings.Builder{}, &errOut)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("run exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop on cancel")
	}
}

// Every argument the command refuses before doing anything is a usage error, exit 2, and
// nothing is written: account lists that are empty, repeated, overlapping or not positive,
// durations that are not positive, an interval below the minimum.
func TestUsageErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	d := []string{"--dir", dir}
	cases := [][]string{
		{"seed", "--accounts", "0", "--no-wait"},
		{"seed", "--accounts", "1,1", "--no-wait"},
		{"seed", "--accounts", "1", "--reserved", "1", "--no-wait"},
		{"seed", "--accounts", " ", "--no-wait"},
		{"seed", "--accounts", "1,,2", "--no-wait"},
		{"seed", "--accounts", "1", "--reserved", "-3", "--no-wait"},
		{"seed", "--accounts", "1", "--wait-interval", "-1s"},
		{"seed", "--accounts", "1", "--wait-interval", "0s"},
		{"run", "--accounts", "1", "--listen", "127.0.0.1:0", "--transient-park", "-1h"},
		{"run", "--accounts", "1", "--listen", "127.0.0.1:0", "--usage-limit-park", "-5h"},
		{"run", "--accounts", "1", "--listen", "127.0.0.1:0", "--transient-park", "0s"},
		{"run", "--accounts", "1", "--listen", "127.0.0.1:0", "--interval", "10m"},
		{"run", "--accounts", "0", "--listen", "127.0.0.1:0"},
		{"import", "--accounts", "1,1", "1"},
		{"import", "--accounts", " ", "1"},
		{"ready", "--max-age", "-1m"},
	}
	for _, c := range cases {
		args := append([]string{c[0]}, append(append([]string{}, d...), c[1:]...)...)
		// An accepted run would serve until cancelled: a short deadline ends it.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var out, errOut strings.Builder
		code := run(ctx, args, strings.NewReader(string(login(t, "u1", "rt-1"))), &out, &errOut)
		cancel()
		stderr := errOut.String()
		if code != exitUsage {
			t.Errorf("%q = exit %d, want %d (usage):\n%s", c, code, exitUsage, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused command wrote %v", entries)
	}
}

// seed --no-wait tells "only a login helps" (exit 3) from "an account may come back by
// itself" (exit 4): during a token endpoint outage nobody is sent to log in.
func TestSeedNoWaitDuringAnEndpointOutage(t *testing.T) {
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream down", http.StatusServiceUnavailable)
	}))
	defer endpoint.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "auth-1.json"), loginExpiring(t, "u1", "rt-1", time.Now().Add(-time.Hour)), 0o600)
	code, _, stderr := runCLI(t, "", "seed", "--dir", dir, "--accounts", "1", "--no-wait", "--token-url", endpoint.URL)
	if code != exitNoAccountNow || strings.Contains(stderr, "auth-login") || !strings.Contains(stderr, "no login is needed") {
		t.Errorf("seed --no-wait during an outage = exit %d, want %d and no login asked for:\n%s", code, exitNoAccountNow, stderr)
	}
}
