package components

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
	"cloud-codex/internal/testsupport"
)

// The agent's rendered config.toml is accepted by the real codex CLI (with
// --strict-config, so an unknown or misspelt key fails) and routes the model call to the
// LiteLLM base URL with the agent's LiteLLM key as the bearer.
func TestAgentConfigDrivesRealCodexCLI(t *testing.T) {
	codex := testsupport.CodexCLI(t, DefaultCodexVersion)

	type seen struct{ path, auth, model string }
	var mu sync.Mutex
	var requests []seen
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Model string `json:"model"`
		}
		_ = json.Unmarshal(body, &req)
		mu.Lock()
		requests = append(requests, seen{r.Method + " " + r.URL.Path, r.Header.Get("Authorization"), req.Model})
		mu.Unlock()
		// A 400 is not retried, so codex stops after the one call this test needs.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"message":"stub LiteLLM: request recorded","type":"invalid_request_error"}}`))
	}))
	defer stub.Close()

	args := testAgentArgs().withDefaults()
	args.Codex.MCPServers = map[string]MCPServerArgs{
		"github": {Command: "true", SecretEnv: map[string]SecretRef{"GITHUB_TOKEN": {Name: "gh", Key: "token"}}},
	}
	rendered, err := codexconfig.Render(agentCodexConfig(args, stub.URL+"/v1"))
	require.NoError(t, err)
	home := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(home, codexconfig.FileName), []byte(rendered), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, codex, "--strict-config", "exec", "--skip-git-repo-check", "say hello")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "CODEX_HOME="+home, "HOME="+t.TempDir(), contract.LiteLLMAPIKeyEnv+"=sk-agent-test-key")
	out, _ := cmd.CombinedOutput() // codex exits non-zero on the stub's 400; the requests are what count
	require.NoError(t, ctx.Err(), "codex did not finish: %s", out)

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, requests, "codex made no model call; output:\n%s", out)
	require.Equal(t, seen{"POST /v1/responses", "Bearer sk-agent-test-key", args.Codex.Model}, requests[0], "output:\n%s", out)
}
