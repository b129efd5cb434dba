package rotator

import (
	"cloud-codex/internal/gosource/gosourcetest"

	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestSourceFilesLayout(t *testing.T) {
	files := SourceFiles()
	gosourcetest.CheckLayout(t, files, map[string]string{
		".": "rotator", "cmd/codex-auth-rotator": "rotator/cmd/codex-auth-rotator", "../codexauth": "codexauth",
	})
	if len(files) == 0 || files[0].Path != "codexauth/codexauth.go" {
		t.Errorf("codexauth does not ship first in path order: %v", files[0].Path)
	}
}

// TestShippedSourceBuilds builds the shipped tree in an empty directory with the pod's
// flags: what ships is exactly what builds.
func TestShippedSourceBuilds(t *testing.T) {
	bin := gosourcetest.Build(t, SourceFiles(), BuildPackage)

	// The binary that ships answers like the tested one: seed with nothing to seed from
	// refuses (exit 3) and names the command to run.
	out, err := exec.Command(bin, "seed", "--dir", t.TempDir(), "--accounts", "1,2", "--reserved", "3",
		"--namespace", "agents", "--deployment", "litellm-pool", "--no-wait").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(string(out), "kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 1") {
		t.Errorf("shipped seed --no-wait = %v:\n%s", err, out)
	}
}
