package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestConfigPathSpellsFieldsAsConfigKeysAndMapKeysVerbatim(t *testing.T) {
	pool, agent := reflect.TypeOf(LiteLLM{}), reflect.TypeOf(Agent{})
	for _, tc := range []struct {
		t           reflect.Type
		field, want string
	}{
		{pool, "Models[0].Alias", "models[0].alias"},
		{pool, "Resources.CPULimit", "resources.cpuLimit"},
		{pool, "Resources.MemoryRequest", "resources.memoryRequest"},
		{pool, "Database.InCluster.StorageSize", "database.inCluster.storageSize"},
		{pool, "Database.ExistingSecret.Name", "database.existingSecret.name"},
		{pool, "Accounts.InRotation[1]", "accounts.inRotation[1]"},
		{pool, "CodexVersion", "codexVersion"},
		{pool, "AgentSelector", "agentSelector"},
		{agent, "registry.apiUrl", "registry.apiUrl"},
		// Map keys are the user's: an env name, an MCP server id.
		{agent, "env.CODEX_HOME", "env.CODEX_HOME"},
		{agent, "env.OPENAI_API_KEY", "env.OPENAI_API_KEY"},
		{agent, "codex.mcpServers.GitHub.command", "codex.mcpServers.GitHub.command"},
		{agent, "codex.mcpServers.GitHub.secretEnv.GH_TOKEN.name", "codex.mcpServers.GitHub.secretEnv.GH_TOKEN.name"},
		{agent, `codex.mcpServers["git.hub"].env["a.b"]`, `codex.mcpServers["git.hub"].env["a.b"]`},
		{agent, `env["MY VAR"]`, `env["MY VAR"]`},
	} {
		require.Equal(t, tc.want, configPath(tc.t, tc.field), "configPath(%v, %q)", tc.t, tc.field)
	}
}

func TestKeyPathQuotesOnlyAmbiguousKeys(t *testing.T) {
	require.Equal(t, "cloud-codex:agents", keyPath("cloud-codex:", "agents"))
	require.Equal(t, "a.env.CODEX_HOME", keyPath("a.env", "CODEX_HOME"))
	require.Equal(t, `a.env["x.y"]`, keyPath("a.env", "x.y"))
	require.Equal(t, `a.env[""]`, keyPath("a.env", ""))
}

// A type that decodes itself (a Kubernetes quantity) is judged by its own decoder, at its
// own path.
func TestShapeCheckDefersToCustomDecoders(t *testing.T) {
	type withQuantity struct {
		Size resource.Quantity `json:"size"`
	}
	var out withQuantity
	require.NoError(t, decodeStrict("k", `{"size": "1Gi"}`, &out))
	require.Equal(t, "1Gi", out.Size.String())
	err := decodeStrict("k", `{"size": "lots"}`, &out)
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "config k.size: "), err.Error())
}
