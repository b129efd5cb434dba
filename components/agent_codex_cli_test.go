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
	"regexp"
	"strings"
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
	out := runRealCodex(t, args, stub.URL+"/v1", contract.LiteLLMAPIKeyEnv+"=sk-agent-test-key")

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, requests, "codex made no model call; output:\n%s", out)
	require.Equal(t, seen{"POST /v1/responses", "Bearer sk-agent-test-key", args.Codex.Model}, requests[0], "output:\n%s", out)
}

// stubLiteLLM stands in for LiteLLM at a loopback URL: it records each request and
// answers 400, which codex does not retry.
type stubLiteLLM struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
}

func newStubLiteLLM(t *testing.T) *stubLiteLLM {
	t.Helper()
	s := &stubLiteLLM{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"message":"stub LiteLLM: request recorded","type":"invalid_request_error"}}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stubLiteLLM) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// runRealCodex runs `codex --strict-config exec` once with the agent's rendered config in a
// fresh CODEX_HOME, the environment env added to (and "NAME" alone removing NAME from) the
// test's own. It returns codex's combined output.
func runRealCodex(t *testing.T, args CloudCodexAgentArgs, baseURL string, env ...string) string {
	t.Helper()
	codex := testsupport.CodexCLI(t, DefaultCodexVersion)
	rendered, err := codexconfig.Render(agentCodexConfig(args, baseURL))
	require.NoError(t, err)
	home := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(home, codexconfig.FileName), []byte(rendered), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, codex, "--strict-config", "exec", "--skip-git-repo-check", "say hello")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "CODEX_HOME="+home, "HOME="+t.TempDir())
	for _, e := range env {
		if name, _, ok := strings.Cut(e, "="); ok {
			cmd.Env = append(cmd.Env, e)
		} else {
			cmd.Env = slicesDeleteEnv(cmd.Env, name)
		}
	}
	out, _ := cmd.CombinedOutput() // codex exits non-zero without a model answer
	require.NoError(t, ctx.Err(), "codex did not finish: %s", out)
	return string(out)
}

func slicesDeleteEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

// bootScriptClaim is the message agent-boot.sh tells the operator codex will print when
// LITELLM_API_KEY is empty (the text it quotes after "refuse every model call with").
func bootScriptClaim(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`refuse every model call with "([^"]+)"`).FindStringSubmatch(agentBootScript)
	require.NotNil(t, m, "agent-boot.sh no longer quotes codex's message")
	return m[1]
}

// Without its LiteLLM key (the Secret missing: the variable empty, or unset) the real codex
// sends nothing to LiteLLM and fails with exactly the message the boot script's warning
// quotes, so an operator searching the log for it finds it.
func TestRealCodexWithoutLiteLLMKey(t *testing.T) {
	claim := bootScriptClaim(t)
	require.Contains(t, claim, contract.LiteLLMAPIKeyEnv)
	args := testAgentArgs().withDefaults()
	for name, env := range map[string]string{
		"empty": contract.LiteLLMAPIKeyEnv + "=",
		"unset": contract.LiteLLMAPIKeyEnv,
		"blank": contract.LiteLLMAPIKeyEnv + "=  ",
	} {
		t.Run(name, func(t *testing.T) {
			stub := newStubLiteLLM(t)
			out := runRealCodex(t, args, stub.URL+"/v1", env)
			require.Contains(t, out, claim, "codex's real message differs from what agent-boot.sh says")
			require.Empty(t, stub.seen(), "no request may reach LiteLLM without a key; output:\n%s", out)
		})
	}
}

// mcpEnvRecorder is a stdio MCP server stand-in that writes its environment to the file
// named by its own RECORD_TO (set through the server's literal env) and exits.
const mcpEnvRecorder = `#!/bin/sh
env > "$RECORD_TO.tmp" && mv "$RECORD_TO.tmp" "$RECORD_TO"
`

// The agent passes a Secret-backed value to an MCP server by naming it in env_vars: the
// container has it in its environment (secretEnv), and codex forwards exactly the named
// variables, the literal env, and its own short default list, but nothing else of its
// environment: the agent's LiteLLM key and unnamed variables stay out of MCP children. The
// config relies on both halves, so the real codex 0.171.0 is run with a recording MCP server.
func TestRealCodexForwardsMCPEnvVarsOnly(t *testing.T) {
	dir := t.TempDir()
	server := filepath.Join(dir, "mcp-recorder")
	require.NoError(t, os.WriteFile(server, []byte(mcpEnvRecorder), 0o755))
	record := filepath.Join(dir, "env.txt")

	args := testAgentArgs().withDefaults()
	args.Codex.MCPServers = map[string]MCPServerArgs{
		"recorder": {
			Command:   server,
			Env:       map[string]string{"RECORD_TO": record, "LOG_LEVEL": "debug"},
			SecretEnv: map[string]SecretRef{"GITHUB_TOKEN": {Name: "gh", Key: "token"}},
		},
	}
	stub := newStubLiteLLM(t)
	out := runRealCodex(t, args, stub.URL+"/v1",
		contract.LiteLLMAPIKeyEnv+"=sk-agent-test-key", "GITHUB_TOKEN=ghp-from-the-secret", "UNNAMED_SECRET=must-not-leak")

	var data []byte
	require.Eventually(t, func() bool {
		var err error
		data, err = os.ReadFile(record)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "codex never started the MCP server; output:\n%s", out)
	got := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			got[k] = v
		}
	}
	require.Equal(t, "ghp-from-the-secret", got["GITHUB_TOKEN"], "env_vars forwards the named variable")
	require.Equal(t, "debug", got["LOG_LEVEL"], "the literal env is set")
	require.Contains(t, got, "PATH", "codex's default list (PATH, HOME, ...) is passed")
	require.NotContains(t, got, contract.LiteLLMAPIKeyEnv, "the agent's LiteLLM key is not inherited by MCP children")
	require.NotContains(t, got, "UNNAMED_SECRET", "variables not named in env_vars are not inherited")
}
