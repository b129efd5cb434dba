package keyregistrar

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cloud-codex/keyregistrar/internal/litellmstub"
)

var configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

func TestSourceFilesLayout(t *testing.T) {
	files := SourceFiles()
	keys, paths := map[string]bool{}, map[string]bool{}
	size := 0
	for _, f := range files {
		if !configMapKey.MatchString(f.Key) || len(f.Key) > 253 {
			t.Errorf("key %q is not a valid ConfigMap key", f.Key)
		}
		if keys[f.Key] || paths[f.Path] {
			t.Errorf("duplicate key %q or path %q", f.Key, f.Path)
		}
		keys[f.Key], paths[f.Path] = true, true
		if strings.HasSuffix(f.Path, "_test.go") || strings.Contains(f.Path, "/internal/") {
			t.Errorf("a test-only file ships: %s", f.Path)
		}
		if f.Content == "" {
			t.Errorf("%s is empty", f.Path)
		}
		size += len(f.Key) + len(f.Content)
	}
	if size > 256*1024 {
		t.Errorf("shipped source is %d bytes", size)
	}
	for _, want := range []string{"go.mod", "keyregistrar/source.go", "keyregistrar/registrar.go", "keyregistrar/cmd/litellm-key-registrar/main.go"} {
		if !paths[want] {
			t.Errorf("%s does not ship", want)
		}
	}
	// Every non-test Go file of the package and its command ships.
	for _, pattern := range []string{"*.go", "cmd/litellm-key-registrar/*.go"} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if strings.HasSuffix(m, "_test.go") {
				continue
			}
			if p := filepath.ToSlash(filepath.Join("keyregistrar", m)); !paths[p] {
				t.Errorf("%s exists but does not ship", p)
			}
		}
	}
	if len(SourceChecksum()) != 64 {
		t.Errorf("SourceChecksum = %q", SourceChecksum())
	}
}

// TestShippedSourceHoldsNothingCredentialLike: the source goes into a ConfigMap, which the
// policy pack's no-credentials-in-configmaps rule scans for sk- keys, JWTs and GitHub tokens.
func TestShippedSourceHoldsNothingCredentialLike(t *testing.T) {
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(sk-[A-Za-z0-9][A-Za-z0-9_-]{7,})`),
		regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
		regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})`),
	}
	for _, f := range SourceFiles() {
		for _, re := range patterns {
			if m := re.FindString(f.Content); m != "" {
				t.Errorf("%s holds %q, which the ConfigMap policy would flag", f.Path, m)
			}
		}
	}
}

// TestShippedSourceBuilds lays SourceFiles out in an empty directory, as the Job's init
// container gets them from the ConfigMap, builds and vets the command there with the
// flags the Job uses, and runs the binary against a loopback LiteLLM stub.
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
	bin := filepath.Join(dir, BinaryName)
	run("build", "-trimpath", "-o", bin, BuildPackage)
	run("vet", "./...")

	stub := litellmstub.New(testMaster)
	defer stub.Close()
	registrar := func(master string) (int, string) {
		cmd := exec.Command(bin, "--url", stub.URL+"/v1", "--alias", testAlias, "--model", testModel,
			"--metadata", "agent=cody", "--ready-interval", "10ms", "--backoff", "1ms")
		cmd.Env = []string{EnvMasterKey + "=" + master, EnvKey + "=" + testKey}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := registrar(testMaster); code != 0 || !strings.Contains(out, "created") {
		t.Errorf("shipped registrar = %d:\n%s", code, out)
	}
	if code, out := registrar(testMaster); code != 0 || !strings.Contains(out, "updated") {
		t.Errorf("shipped registrar, second run = %d:\n%s", code, out)
	}
	if code, out := registrar("sk-notthemaster0123456789abcdefghijklmnopq"); code != 1 || !strings.Contains(out, "Invalid proxy server token passed") {
		t.Errorf("shipped registrar with a wrong master key = %d:\n%s", code, out)
	}
	if code, out := registrar(""); code != 2 || !strings.Contains(out, EnvMasterKey) {
		t.Errorf("shipped registrar without a master key = %d:\n%s", code, out)
	}
}
