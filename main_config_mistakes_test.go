package main

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// One stack-config mistake of each class validation refuses (issues 17, 18, 21; the full
// corpus is config/mistakes_test.go) goes through the program itself: it fails before the
// first resource is registered, at the key path exactly as written.
func TestConfigMistakesRegisterNothing(t *testing.T) {
	agent := func(extra string) string {
		return `[{"name": "cody", "registry": {"apiUrl": "https://api.example.com", "podId": "p"}, ` + extra + `}]`
	}
	for _, tc := range []struct{ name, key, value, path string }{
		{"unpinned agent image", "cloud-codex:agents", agent(`"image": "node:latest"`), "cloud-codex:agents[0].image"},
		{"agent image on a channel", "cloud-codex:agents", agent(`"image": "node:lts"`), "cloud-codex:agents[0].image"},
		{"codex latest", "cloud-codex:agents", agent(`"codex": {"version": "latest"}`), "cloud-codex:agents[0].codex.version"},
		{"env name Kubernetes refuses", "cloud-codex:agents", agent(`"env": {"1X": "y"}`), "cloud-codex:agents[0].env.1X"},
		{"dangling kubeconfig", "cloud-codex:cluster", `{"kubeconfig": "/nonexistent/kubeconfig"}`, "cloud-codex:cluster.kubeconfig"},
		{"render mode with the local cluster", "cloud-codex:cluster", `{"local": true, "renderTo": "rendered"}`, "cloud-codex:cluster.renderTo"},
		{"local cluster and a kubeconfig", "cloud-codex:cluster", `{"local": true, "kubeconfig": "/nonexistent/kubeconfig"}`, "cloud-codex:cluster"},
		{"OpenAI key in MCP env", "cloud-codex:agents",
			agent(`"codex": {"mcpServers": {"GitHub": {"command": "x", "env": {"OPENAI_API_KEY": "sk-x"}}}}`),
			"cloud-codex:agents[0].codex.mcpServers.GitHub.env.OPENAI_API_KEY"},
		{"MCP secretEnv reads the master key", "cloud-codex:agents",
			agent(`"codex": {"mcpServers": {"x": {"command": "x", "secretEnv": {"K": {"name": "litellm-master-key", "key": "key"}}}}}`),
			"cloud-codex:agents[0].codex.mcpServers.x.secretEnv.K.name"},
		{"MCP server id codex skips", "cloud-codex:agents", agent(`"codex": {"mcpServers": {"my server": {"command": "x"}}}`),
			`cloud-codex:agents[0].codex.mcpServers["my server"]`},
		{"map key keeps its case", "cloud-codex:agents", agent(`"env": {"CODEX_HOME": "/x"}`), "cloud-codex:agents[0].env.CODEX_HOME"},
		{"LiteLLM without the chatgpt provider", "cloud-codex:litellm",
			`{"database": {"inCluster": {}}, "image": "ghcr.io/berriai/litellm-non_root:main-v1.81.0-stable"}`, "cloud-codex:litellm.image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := devStackConfig(t)
			cfg[tc.key] = tc.value
			rec, err := runWithConfig(t, cfg)
			require.Error(t, err)
			require.True(t, strings.Contains(err.Error(), "config "+tc.path+": "), "want %s in:\n%s", tc.path, err)
			require.Empty(t, rec.all, "nothing may be registered")
		})
	}
}

// A misspelt key hides no unrelated mistake (config.Load validates every key and agent whose
// own value decodes), and with any of them nothing is registered.
func TestUnrelatedMistakesAreReportedTogether(t *testing.T) {
	cfg := devStackConfig(t)
	cfg["cloud-codex:litellm"] = `{"database": {"inCluster": {}}, "image": "ghcr.io/berriai/litellm-non_root:latest"}`
	cfg["cloud-codex:agents"] = `[
		{"name": "cody", "imagee": "node:22", "registry": {"apiUrl": "https://api.example.com", "podId": "p"}},
		{"name": "ada", "codex": {"version": "latest"}, "registry": {"apiUrl": "https://api.example.com", "podId": "p"}}]`
	rec, err := runWithConfig(t, cfg)
	require.Error(t, err)
	for _, path := range []string{"cloud-codex:agents[0].imagee", "cloud-codex:litellm.image", "cloud-codex:agents[1].codex.version"} {
		require.True(t, strings.Contains(err.Error(), "config "+path+": "), "want %s in:\n%s", path, err)
	}
	require.Empty(t, rec.all, "nothing may be registered")
}

// A key set with `pulumi config set --secret` (here cloud-codex:agents, which Pulumi marks as
// a whole when one value inside it is secret) stops the program before anything is
// registered, at that key, and the decrypted value is not printed.
func TestSecretConfigRegistersNothing(t *testing.T) {
	cfg := devStackConfig(t)
	cfg["cloud-codex:agents"] = `[{"name": "cody", "registry": {"apiUrl": "https://api.example.com", "podId": "p"}, "env": {"NOTE": "hunter2"}}]`
	t.Setenv(pulumi.EnvConfigSecretKeys, `["cloud-codex:agents"]`)
	rec, err := runWithConfig(t, cfg)
	require.Error(t, err)
	require.Contains(t, err.Error(), "config cloud-codex:agents: is set as a secret")
	require.NotContains(t, err.Error(), "hunter2")
	require.Empty(t, rec.all, "nothing may be registered")
}
