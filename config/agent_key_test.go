package config

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"cloud-codex/components"
	"cloud-codex/contract"
)

func TestAgentKeysArePulumiManagedByDefault(t *testing.T) {
	s, err := Load(devConfig())
	require.NoError(t, err)
	args := s.WiredAgentArgs(0, AgentWiring{
		BaseURL:         pulumi.String("http://litellm.cloud-codex.svc.cluster.local:4000/v1"),
		MasterKeySecret: components.SecretKeyInput{Name: pulumi.String("litellm-master-key"), Key: contract.MasterKeyEnv},
		RegistrarSource: pulumi.String("cloud-codex-key-registrar-src"),
	})
	require.True(t, args.LiteLLM.KeyManaged())
	require.NotNil(t, args.LiteLLM.MasterKeySecret.Name)
	require.Equal(t, contract.MasterKeyEnv, args.LiteLLM.MasterKeySecret.Key)
	require.NotNil(t, args.LiteLLM.RegistrarSource)
	reg, ok := s.KeyRegistrarArgs()
	require.True(t, ok, "a managed key needs the registrar")
	require.Equal(t, components.LiteLLMKeyRegistrarArgs{Namespace: "cloud-codex", SkipAwait: s.SkipAwait()}, reg)
}

func TestOperatorManagedKeysNeedNoRegistrar(t *testing.T) {
	values := devConfig()
	values["cloud-codex:agents"] = `[{"name": "cody", "litellm": {"manageKey": false, "keySecret": {"name": "my-key", "key": "value"}},
		"registry": {"apiUrl": "https://api.example.com", "podId": "pod-1"}}]`
	s, err := Load(values)
	require.NoError(t, err)
	args := s.AgentArgs(0, nil)
	require.False(t, args.LiteLLM.KeyManaged())
	require.Equal(t, components.SecretRef{Name: "my-key", Key: "value"}, args.LiteLLM.KeySecret)
	_, ok := s.KeyRegistrarArgs()
	require.False(t, ok)
}

func TestAgentKeyConfigErrorsNameTheKeyPath(t *testing.T) {
	for _, tc := range []struct{ name, agents, path, want string }{
		{"managed key in a hand-made Secret", `[{"name": "cody", "litellm": {"keySecret": {"name": "my-key", "key": "value"}},
			"registry": {"apiUrl": "https://x", "podId": "p"}}]`, "cloud-codex:agents[0].litellm.keySecret", "manageKey to false"},
		{"model not allowed", `[{"name": "cody", "litellm": {"modelAllowlist": ["codex-cli/gpt-5.3"]},
			"registry": {"apiUrl": "https://x", "podId": "p"}}]`, "cloud-codex:agents[0].litellm.modelAllowlist", "codex-cli/gpt-5.4"},
		{"misspelt manageKey", `[{"name": "cody", "litellm": {"managedKey": false}, "registry": {"apiUrl": "https://x", "podId": "p"}}]`,
			"cloud-codex:agents[0].litellm.managedKey", `did you mean "manageKey"?`},
		{"manageKey not a bool", `[{"name": "cody", "litellm": {"manageKey": "no"}, "registry": {"apiUrl": "https://x", "podId": "p"}}]`,
			"cloud-codex:agents[0]", "bool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			values := devConfig()
			values["cloud-codex:agents"] = tc.agents
			_, err := Load(values)
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "config "+tc.path), "error %q should name %s", err, tc.path)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
