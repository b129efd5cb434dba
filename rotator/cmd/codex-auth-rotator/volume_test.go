package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// readOnlyDir makes dir refuse new files for whoever runs the test: mode 0555 stops other
// users, the immutable attribute stops root. It skips the test where neither works.
func readOnlyDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("cannot make a directory read-only for root here (chattr +i: %v %s)", err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
	}
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("the directory still takes writes")
	}
}

// seed on a volume it cannot write exits 1 (as docs/rotator.md says), names the volume, and
// never reaches the token endpoint.
func TestSeedOnAReadOnlyVolumeExits1WithoutRefreshing(t *testing.T) {
	var calls atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, `{"error":"unexpected"}`, http.StatusInternalServerError)
	}))
	defer endpoint.Close()
	dir := t.TempDir()
	// Account 1's access token has expired: seed would have to refresh it.
	expired := loginExpiring(t, "u1", "rt-1", time.Now().Add(-time.Hour))
	if err := os.WriteFile(filepath.Join(dir, "auth-1.json"), expired, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnlyDir(t, dir)

	code, _, stderr := runCLI(t, "", "seed", "--dir", dir, "--accounts", "1", "--no-wait", "--token-url", endpoint.URL)
	if code != exitError {
		t.Errorf("seed --no-wait on a read-only volume = exit %d, want %d:\n%s", code, exitError, stderr)
	}
	if !strings.Contains(stderr, dir) || !strings.Contains(stderr, "not writable") {
		t.Errorf("the message does not name the volume %s:\n%s", dir, stderr)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("seed called the token endpoint %d times on a volume that cannot store the result", n)
	}
}
