package rotator

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

func TestSourceFilesLayout(t *testing.T) {
	files := SourceFiles()
	keys, paths := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		if !configMapKey.MatchString(f.Key) || len(f.Key) > 253 {
			t.Errorf("key %q is not a valid ConfigMap key", f.Key)
		}
		if keys[f.Key] || paths[f.Path] {
			t.Errorf("duplicate key %q or path %q", f.Key, f.Path)
		}
		keys[f.Key], paths[f.Path] = true, true
		if strings.HasSuffix(f.Path, "_test.go") {
			t.Errorf("a test file ships: %s", f.Path)
		}
		if f.Content == "" {
			t.Errorf("%s is empty", f.Path)
		}
	}
	for _, want := range []string{"go.mod", "rotator/source.go", "rotator/run.go", "rotator/cmd/codex-auth-rotator/main.go", "codexauth/codexauth.go", "codexauth/jwt.go"} {
		if !paths[want] {
			t.Errorf("%s does not ship", want)
		}
	}
	if !keys["rotator.cmd.codex-auth-rotator.main.go"] {
		t.Errorf("want key rotator.cmd.codex-auth-rotator.main.go")
	}
	// Every non-test Go file of both packages ships: a file added later cannot be forgotten.
	for _, pattern := range []string{"*.go", "cmd/codex-auth-rotator/*.go", "../codexauth/*.go"} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if strings.HasSuffix(m, "_test.go") {
				continue
			}
			p := filepath.ToSlash(filepath.Join("rotator", m))
			if !paths[p] {
				t.Errorf("%s exists but does not ship", p)
			}
		}
	}
}

// TestShippedSourceBuilds lays SourceFiles out in an empty directory, as the pod's init
// container gets them from the ConfigMap, and builds and vets the command there with the
// flags the pod uses: what ships is exactly what builds.
func TestShippedSourceBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command: skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	dir := t.TempDir()
	for _, f := range SourceFiles() {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(),
		"CGO_ENABLED=0",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"GOPROXY=off", // standard library only: nothing may need fetching
		"GOFLAGS=-mod=mod",
	)
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	bin := filepath.Join(dir, "codex-auth-rotator")
	run("build", "-trimpath", "-o", bin, BuildPackage)
	run("vet", "./...")

	// The binary that ships answers like the tested one: seed with nothing to seed from
	// refuses (exit 3) and names the command to run.
	out, err := exec.Command(bin, "seed", "--dir", t.TempDir(), "--accounts", "1,2", "--reserved", "3",
		"--namespace", "agents", "--deployment", "litellm-pool", "--no-wait").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(string(out), "kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 1") {
		t.Errorf("shipped seed --no-wait = %v:\n%s", err, out)
	}
}
