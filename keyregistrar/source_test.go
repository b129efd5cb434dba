package keyregistrar

import (
	"cloud-codex/internal/gosource/gosourcetest"

	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"cloud-codex/keyregistrar/internal/litellmstub"
)

func TestSourceFilesLayout(t *testing.T) {
	gosourcetest.CheckLayout(t, SourceFiles(), map[string]string{
		".": "keyregistrar", "cmd/litellm-key-registrar": "keyregistrar/cmd/litellm-key-registrar",
	})
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
	bin := gosourcetest.Build(t, SourceFiles(), BuildPackage)

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
