//go:build unix

package rotator

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud-codex/internal/gosource/gosourcetest"
)

// Issue D7: a directory that takes new files can still refuse to let the rotator replace
// one of them. In a sticky directory (mode 1777, as a hostPath or a shared /tmp-like volume
// may be) only a file's owner may rename over it: an auth-N.json left by another UID passes
// the write probe, the refresh spends its token, and the write-back fails. The probe must
// prove that each file a refresh will replace can be replaced before any token is spent.
//
// This runs the shipped binary as an unprivileged user (uid 65534) against files owned by
// root, as the tester did; it needs root to set that up.
func TestSeedSpendsNoTokenOnAFileItCannotReplace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates a file owned by another user and runs the rotator as uid 65534")
	}
	bin := gosourcetest.Build(t, SourceFiles(), BuildPackage)
	shared := func(pattern string, mode fs.FileMode) string {
		t.Helper()
		d, err := os.MkdirTemp("", pattern)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		if err := os.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
		return d
	}
	binDir := shared("rotator-bin-", 0o755)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	nobodyBin := filepath.Join(binDir, "codex-auth-rotator")
	if err := os.WriteFile(nobodyBin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := shared("rotator-sticky-", 0o777|fs.ModeSticky)

	now := time.Now()
	ep := newRotatingEndpoint(t, time.Now)
	ep.live("rt-1", "u1")
	// root's file, readable by everyone; its access token has expired, so seed must refresh.
	if err := os.WriteFile(filepath.Join(dir, "auth-1.json"), codexAuthJSON(t, tokens(t, "u1", "rt-1", now.Add(-time.Hour))), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nobodyBin, "seed", "--dir", dir, "--accounts", "1", "--no-wait", "--token-url", ep.URL)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if ctx.Err() != nil || !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("seed = %v (deadline: %v), want exit 1:\n%s", err, ctx.Err(), out)
	}
	if seen := ep.seenTokens(); len(seen) != 0 {
		t.Errorf("seed spent %v although it could not replace auth-1.json:\n%s", seen, out)
	}
	if !strings.Contains(string(out), dir) || !strings.Contains(string(out), "auth-1.json") || strings.Contains(string(out), "auth-login") {
		t.Errorf("the message should name the volume and auth-1.json, and not ask for a login:\n%s", out)
	}
}

// The rule the probe applies, for every combination that matters.
func TestReplaceableInAStickyDirectory(t *testing.T) {
	const me, other = 1000, 2000
	cases := []struct {
		name                string
		sticky              bool
		dirOwner, fileOwner uint32
		euid                int
		ok                  bool
	}{
		{"plain directory, foreign file", false, other, other, me, true},
		{"sticky, my file", true, other, me, me, true},
		{"sticky, my directory", true, me, other, me, true},
		{"sticky, foreign file in a foreign directory", true, other, other, me, false},
		{"sticky, root", true, other, other, 0, true},
	}
	for _, tc := range cases {
		err := replaceableBy(fakeInfo{sticky: tc.sticky, uid: tc.dirOwner, dir: true}, fakeInfo{uid: tc.fileOwner}, "auth-1.json", tc.euid)
		if (err == nil) != tc.ok {
			t.Errorf("%s: replaceableBy = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

type fakeInfo struct {
	sticky, dir bool
	uid         uint32
}

func (f fakeInfo) Name() string { return "x" }
func (f fakeInfo) Size() int64  { return 0 }
func (f fakeInfo) Mode() fs.FileMode {
	m := fs.FileMode(0o644)
	if f.dir {
		m |= fs.ModeDir | 0o777
	}
	if f.sticky {
		m |= fs.ModeSticky
	}
	return m
}
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.dir }
func (f fakeInfo) Sys() any           { return &syscall.Stat_t{Uid: f.uid} }
