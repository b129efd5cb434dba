package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// devConfig is the dev stack's configuration as the engine passes it (structured values
// as JSON).
func devConfig() map[string]string {
	return map[string]string{
		"cloud-codex:namespace": "cloud-codex",
		"cloud-codex:cluster":   `{"local": true}`,
		"cloud-codex:litellm":   `{"accounts": {"inRotation": [1, 2], "reserved": [3]}, "database": {"inCluster": {}}}`,
		"cloud-codex:agents":    `[{"name": "cody", "registry": {"apiUrl": "https://api.example.com", "podId": "pod-1"}}]`,
		"kubernetes:context":    "ignored: another namespace",
	}
}

func TestLoadDevConfig(t *testing.T) {
	s, err := Load(devConfig())
	require.NoError(t, err)
	require.Equal(t, "cloud-codex", s.Namespace)
	require.Equal(t, PodSecurity{Enforce: "restricted", Warn: "restricted", Audit: "restricted"}, s.Cluster.PodSecurity)
	require.Len(t, s.Agents, 1)
	args := s.Agents[0]
	require.Equal(t, "cody", args.Name)
	require.Equal(t, "codex-cli/gpt-5.4", args.LiteLLM.DefaultModel, "agents default to the pool's responses-path alias")
	require.Equal(t, []int{1, 2}, s.LiteLLM.Accounts.InRotation)
	require.Equal(t, []int{3}, s.LiteLLM.Accounts.Reserved)
}

func TestBadStackConfigsNameTheKeyPath(t *testing.T) {
	cases := []struct {
		name, key, value string
		wantPath, want   string
	}{
		{"unknown top-level key", "cloud-codex:agent", `[]`, "cloud-codex:agent", `did you mean "agents"?`},
		{"unknown agent key", "cloud-codex:agents", `[{"nmae": "cody"}]`, "cloud-codex:agents[0].nmae", `did you mean "name"?`},
		{"unknown nested key", "cloud-codex:agents", `[{"name": "cody", "registry": {"apiURL": "https://x"}}]`,
			"cloud-codex:agents[0].registry.apiURL", `did you mean "apiUrl"?`},
		{"wrong type", "cloud-codex:agents", `[{"name": "cody", "replicas": "one"}]`, "cloud-codex:agents[0].replicas", "expected int"},
		{"not structured", "cloud-codex:agents", `cody`, "cloud-codex:agents", "not valid structured config"},
		{"bad agent name", "cloud-codex:agents", `[{"name": "Cody", "registry": {"apiUrl": "https://x", "podId": "p"}}]`,
			"cloud-codex:agents[0].name", "DNS-1123"},
		{"second agent invalid", "cloud-codex:agents",
			`[{"name": "cody", "registry": {"apiUrl": "https://x", "podId": "p"}}, {"name": "ada", "replicas": 2, "registry": {"apiUrl": "https://x", "podId": "p"}}]`,
			"cloud-codex:agents[1].replicas", "ReadWriteOnce"},
		{"duplicate agents", "cloud-codex:agents",
			`[{"name": "cody", "registry": {"apiUrl": "https://x", "podId": "p"}}, {"name": "cody", "registry": {"apiUrl": "https://x", "podId": "p"}}]`,
			"cloud-codex:agents[1].name", "duplicate agent name"},
		{"missing registry", "cloud-codex:agents", `[{"name": "cody"}]`, "cloud-codex:agents[0].registry.apiUrl", "API URL"},
		{"bad storage", "cloud-codex:agents", `[{"name": "cody", "storage": {"size": "2GB"}, "registry": {"apiUrl": "https://x", "podId": "p"}}]`,
			"cloud-codex:agents[0].storage.size", "quantity"},
		{"bad namespace", "cloud-codex:namespace", `Agents`, "cloud-codex:namespace", "DNS-1123"},
		{"bad pod security", "cloud-codex:cluster", `{"local": true, "podSecurity": {"enforce": "strict"}}`,
			"cloud-codex:cluster.podSecurity.enforce", "baseline or restricted"},
		{"short rotation", "cloud-codex:litellm", `{"rotationInterval": "5m", "database": {"inCluster": {}}}`,
			"cloud-codex:litellm.rotationInterval", "30m"},
		{"no database", "cloud-codex:litellm", `{}`, "cloud-codex:litellm.database", ""},
		{"pool memory below LiteLLM's boot needs", "cloud-codex:litellm",
			`{"database": {"inCluster": {}}, "resources": {"requests": {"memory": "256Mi"}, "limits": {"memory": "512Mi"}}}`,
			"cloud-codex:litellm.resources.limits.memory", ""},
		{"agent model the pool does not serve", "cloud-codex:agents",
			`[{"name": "cody", "codex": {"model": "gpt-5.4"}, "registry": {"apiUrl": "https://x", "podId": "p"}}]`,
			"cloud-codex:agents[0].codex.model", "served: codex-cli/gpt-5.4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values := devConfig()
			values[tc.key] = tc.value
			_, err := Load(values)
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "config "+tc.wantPath), "error %q should name %s", err, tc.wantPath)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestEveryInvalidPoolFieldIsReportedUnderItsConfigKey(t *testing.T) {
	values := devConfig()
	values["cloud-codex:litellm"] = `{"database": {"inCluster": {}}, "rotationInterval": "5m",
		"resources": {"requests": {"memory": "4Gi", "cpu": "4"}, "limits": {"memory": "2Gi", "cpu": "2"}}}`
	_, err := Load(values)
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	for _, want := range []string{
		"config cloud-codex:litellm.rotationInterval: ",
		"config cloud-codex:litellm.resources.requests.memory: invalid value \"4Gi\": must not exceed the memory limit 2Gi",
		"config cloud-codex:litellm.resources.requests.cpu: invalid value \"4\": must not exceed the CPU limit 2",
	} {
		require.True(t, slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }),
			"want a line starting %q in:\n%s", want, err)
	}
	require.Len(t, lines, 3, "one line per invalid field:\n%s", err)
}

func TestSkipAwaitDefaultsOnOnlyForTheLocalCluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	s, err := Load(devConfig())
	require.NoError(t, err)
	require.True(t, s.UsesLocalCluster())
	require.True(t, s.SkipAwait())
	require.True(t, strings.HasSuffix(s.Kubeconfig(), "/kubeconfig"))

	t.Setenv("KUBECONFIG", "/somewhere/else")
	require.False(t, s.UsesLocalCluster(), "$KUBECONFIG names another cluster")
	require.False(t, s.SkipAwait())
	require.Equal(t, "", s.Kubeconfig(), "the provider's own lookup uses $KUBECONFIG")

	kubeconfig := filepath.Join(t.TempDir(), "real-cluster")
	require.NoError(t, os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600))
	values := devConfig()
	values["cloud-codex:cluster"] = `{"kubeconfig": "` + kubeconfig + `", "skipAwait": true}`
	s, err = Load(values)
	require.NoError(t, err)
	require.True(t, s.SkipAwait(), "explicit setting wins")
	require.Equal(t, kubeconfig, s.Kubeconfig())
}
