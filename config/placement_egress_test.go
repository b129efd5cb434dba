package config

import (
	"testing"

	"github.com/stretchr/testify/require"
	k8score "k8s.io/api/core/v1"

	"cloud-codex/components"
)

const testSHA = "0123456789abcdef0123456789abcdef01234567"

// The keys of issues 17 and 21 reach the components' args as written.
func TestPlacementRunnerGitModelsAndEgressMapToTheComponents(t *testing.T) {
	cfg := devConfig()
	cfg["cloud-codex:agents"] = `[{"name": "cody", "registry": {"apiUrl": "https://api.example.com", "podId": "pod-1"},
	  "runner": {"command": ["commonly", "agent", "run", "cody"],
	             "git": {"url": "https://github.com/Team-Commonly/commonly.git", "ref": "` + testSHA + `", "path": "cli"}},
	  "placement": {"nodeSelector": {"pool": "dev"},
	                "tolerations": [{"key": "pool", "operator": "Equal", "value": "dev", "effect": "NoSchedule"}],
	                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
	                  {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]}]}}},
	                "priorityClassName": "agents"}}]`
	cfg["cloud-codex:litellm"] = `{"database": {"inCluster": {}}, "placement": {"nodeSelector": {"pool": "dev"}},
	  "models": [{"alias": "codex-cli/gpt-5.4", "upstream": "chatgpt/gpt-5.4", "fallbacks": ["gpt-4.1"]},
	             {"alias": "gpt-4.1", "upstream": "openai/gpt-4.1", "apiKeySecret": {"name": "openai-key", "key": "api-key"}}]}`
	cfg["cloud-codex:egress"] = `{"platformApi": [{"cidr": "203.0.113.10/32"}], "npmRegistry": [{"cidr": "104.16.0.0/12", "ports": [443]}]}`
	s, err := Load(cfg)
	require.NoError(t, err)

	a := s.Agents[0]
	require.Equal(t, &components.AgentRunnerGitArgs{URL: "https://github.com/Team-Commonly/commonly.git", Ref: testSHA, Path: "cli"}, a.Runner.Git)
	require.Equal(t, map[string]string{"pool": "dev"}, a.Placement.NodeSelector)
	require.Equal(t, []k8score.Toleration{{Key: "pool", Operator: "Equal", Value: "dev", Effect: "NoSchedule"}}, a.Placement.Tolerations)
	require.Equal(t, "kubernetes.io/arch", a.Placement.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Key)
	require.Equal(t, "agents", a.Placement.PriorityClassName)

	p := s.LiteLLM
	require.Equal(t, map[string]string{"pool": "dev"}, p.Placement.NodeSelector)
	require.Equal(t, &components.SecretRef{Name: "openai-key", Key: "api-key"}, p.Models[1].APIKeySecret)
	require.Equal(t, "codex-cli/gpt-5.4", p.EffectiveResponsesAlias())

	require.True(t, s.EgressEnabled())
	e := s.Egress.AgentEgressArgs
	require.Equal(t, []components.EgressRule{{CIDR: "203.0.113.10/32"}}, e.PlatformAPI)
	require.Equal(t, []components.EgressRule{{CIDR: "104.16.0.0/12", Ports: []int{443}}}, e.NPMRegistry)
	require.Equal(t, "cloud-codex", e.Namespace)
}

func TestPlacementRunnerGitAndEgressErrorsNameTheKey(t *testing.T) {
	agent := func(extra string) string {
		return `[{"name": "cody", "registry": {"apiUrl": "https://api.example.com", "podId": "pod-1"}, ` + extra + `}]`
	}
	for _, tc := range []struct{ name, key, value, want string }{
		{"unknown key inside a toleration", "cloud-codex:agents", agent(`"placement": {"tolerations": [{"key": "pool", "efect": "NoSchedule"}]}`),
			`cloud-codex:agents[0].placement.tolerations[0].efect: unknown key; did you mean "effect"?`},
		{"toleration operator", "cloud-codex:agents", agent(`"placement": {"tolerations": [{"key": "pool", "operator": "In"}]}`),
			"cloud-codex:agents[0].placement.tolerations[0].operator"},
		{"branch as runner ref", "cloud-codex:agents", agent(`"runner": {"git": {"url": "https://github.com/x/y.git", "ref": "main"}}`),
			"cloud-codex:agents[0].runner.git.ref"},
		{"hostname as egress cidr", "cloud-codex:egress", `{"platformApi": [{"cidr": "api.example.com"}]}`,
			"cloud-codex:egress.platformApi[0].cidr"},
		{"pool priority class", "cloud-codex:litellm", `{"database": {"inCluster": {}}, "placement": {"priorityClassName": "Bad_Name"}}`,
			"cloud-codex:litellm.placement.priorityClassName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := devConfig()
			cfg[tc.key] = tc.value
			_, err := Load(cfg)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestEgressCanBeTurnedOff(t *testing.T) {
	cfg := devConfig()
	cfg["cloud-codex:egress"] = `{"enabled": false}`
	s, err := Load(cfg)
	require.NoError(t, err)
	require.False(t, s.EgressEnabled())
}
