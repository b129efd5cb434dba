package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The components' args are the config types, so a component's field path is the key path
// below the component's key: struct fields in the config spelling, map keys (an env name,
// an MCP server id) as the user wrote them. Every invalid field of every agent and of the
// pool is reported at once.
func TestEveryComponentErrorIsReportedAtItsConfigKey(t *testing.T) {
	values := devConfig()
	values["cloud-codex:litellm"] = `{"database": {"inCluster": {"storageSize": "2 GiB"}},
		"models": [{"alias": "codex-cli/gpt-5.4", "upstream": "chatgpt/gpt-5.4", "fallbacks": ["nope"]}]}`
	values["cloud-codex:agents"] = `[
		{"name": "cody", "replicas": 2, "storage": {"size": "2GB"}, "env": {"CODEX_HOME": "/x"},
		 "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "ada", "resources": {"limits": {"memory": "lots"}},
		 "codex": {"mcpServers": {"git.hub": {"command": "x", "env": {"GITHUB_TOKEN": "t"}}}},
		 "registry": {"apiUrl": "https://x"}}]`
	_, err := Load(values)
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	for _, want := range []string{
		"config cloud-codex:litellm.database.inCluster.storageSize: ",
		"config cloud-codex:litellm.models[0].fallbacks[0]: ",
		"config cloud-codex:agents[0].replicas: ",
		"config cloud-codex:agents[0].storage.size: ",
		"config cloud-codex:agents[0].env.CODEX_HOME: ",
		"config cloud-codex:agents[1].resources.limits.memory: ",
		`config cloud-codex:agents[1].codex.mcpServers["git.hub"]: `, // an id codex skips
		`config cloud-codex:agents[1].codex.mcpServers["git.hub"].env.GITHUB_TOKEN: `,
		"config cloud-codex:agents[1].registry.podId: ",
	} {
		require.True(t, slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }),
			"want a line starting %q in:\n%s", want, err)
	}
	require.Len(t, lines, 9, "one line per invalid field:\n%s", err)
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

// The namespace every component takes from the stack is reported once, at its own key, not
// again at keys the user cannot set (litellm.namespace, agents[0].namespace).
func TestAStackValueIsReportedOnlyAtItsOwnKey(t *testing.T) {
	values := devConfig()
	values["cloud-codex:namespace"] = "Agents"
	values["cloud-codex:egress"] = `{"allow": [{"cidr": "10.0.0.1/8"}]}`
	_, err := Load(values)
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 2, err.Error())
	require.True(t, strings.HasPrefix(lines[0], "config cloud-codex:namespace: "), lines[0])
	require.True(t, strings.HasPrefix(lines[1], "config cloud-codex:egress.allow[0].cidr: "), lines[1])
}
