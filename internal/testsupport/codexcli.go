// Package testsupport holds helpers shared by tests that drive real tools.
package testsupport

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CacheDir is the project's tool cache ($CLOUD_CODEX_CACHE, default ~/.cache/cloud-codex),
// shared with scripts/tools.sh so CI and fresh clones reuse what was built or installed.
func CacheDir() string {
	if d := os.Getenv("CLOUD_CODEX_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "cloud-codex")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "cloud-codex")
}

// CodexCLI returns the path of the real codex CLI at version, installing @openai/codex from
// the npm registry into the cache on first use. The install goes to a staging directory
// renamed into place, so a concurrent or interrupted install never leaves a half one.
func CodexCLI(t testing.TB, version string) string {
	t.Helper()
	dir := filepath.Join(CacheDir(), "npm", "codex-"+version)
	bin := filepath.Join(dir, "node_modules", ".bin", "codex")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("npm is needed to install the real codex CLI (@openai/codex@%s): %v", version, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	staging, err := os.MkdirTemp(filepath.Dir(dir), "codex-install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(staging)
	cmd := exec.Command("npm", "install", "--prefix", staging, "--no-audit", "--no-fund", "@openai/codex@"+version)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install @openai/codex@%s: %v\n%s", version, err, out)
	}
	if err := os.Rename(staging, dir); err != nil && !os.IsExist(err) {
		if _, statErr := os.Stat(bin); statErr != nil {
			t.Fatalf("installing codex into %s: %v", dir, err)
		}
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatal(fmt.Errorf("codex not found after install: %w", err))
	}
	return bin
}
