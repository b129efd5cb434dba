// Package gosourcetest checks shipped source trees in tests: that they hold every non-test
// file and nothing else, and that they build (and vet) in an empty directory with the flags
// the pods use.
package gosourcetest

import (
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cloud-codex/internal/gosource"
)

var configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// CheckLayout checks that files are valid ConfigMap entries without duplicates or test
// files, and that every non-test .go file under each local directory (relative to the test's
// working directory) ships under the matching module path.
func CheckLayout(t *testing.T, files []gosource.File, local map[string]string) {
	t.Helper()
	keys, paths := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		if !configMapKey.MatchString(f.Key) || len(f.Key) > 253 {
			t.Errorf("key %q is not a valid ConfigMap key", f.Key)
		}
		if keys[f.Key] || paths[f.Path] {
			t.Errorf("duplicate key %q or path %q", f.Key, f.Path)
		}
		keys[f.Key], paths[f.Path] = true, true
		if strings.HasSuffix(f.Path, "_test.go") || strings.Contains(f.Path, "/internal/litellmstub/") {
			t.Errorf("a test-only file ships: %s", f.Path)
		}
		if f.Content == "" {
			t.Errorf("%s is empty", f.Path)
		}
	}
	if !paths["go.mod"] {
		t.Error("go.mod does not ship")
	}
	for dir, modDir := range local {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, m := range matches {
			if strings.HasSuffix(m, "_test.go") {
				continue
			}
			if p := path.Join(modDir, filepath.Base(m)); !paths[p] {
				t.Errorf("%s exists but does not ship (add it to the go:embed list)", p)
			}
		}
	}
}

// CheckEmbedsEveryFile checks that an embedded FS holds exactly the non-test .go files of
// the test's working directory.
func CheckEmbedsEveryFile(t *testing.T, fsys fs.FS) {
	t.Helper()
	matches, _ := filepath.Glob("*.go")
	for _, m := range matches {
		_, err := fs.Stat(fsys, m)
		embedded, isTest := err == nil, strings.HasSuffix(m, "_test.go")
		if !embedded && !isTest {
			t.Errorf("%s is missing from the go:embed list", m)
		}
		if embedded && isTest {
			t.Errorf("test file %s is embedded", m)
		}
	}
}

// Build writes files to an empty directory, as a pod's init container gets them from the
// ConfigMap, then builds pkg there with the pod's flags (standard library only: nothing may
// be fetched) and vets the tree. It returns the binary's path.
func Build(t *testing.T, files []gosource.File, pkg string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the shipped source: skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go toolchain is needed to build the shipped source: %v", err)
	}
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOTOOLCHAIN=local", "GOPROXY=off", "GOFLAGS=-mod=mod")
	bin := filepath.Join(dir, path.Base(pkg))
	for _, args := range [][]string{{"build", "-trimpath", "-o", bin, pkg}, {"vet", "./..."}} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin
}
