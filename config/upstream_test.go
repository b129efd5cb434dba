package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUpstreamOverridesAreCheckedAtTheirKeys(t *testing.T) {
	values := devConfig()
	values["cloud-codex:litellm"] = `{"accounts": {"inRotation": [1]}, "database": {"inCluster": {}},
	  "upstream": {"chatgptApiBase": "ftp://gateway", "oauthTokenUrl": "https://user:pw@gateway/oauth/token"}}`
	_, err := Load(values)
	require.Error(t, err)
	require.Contains(t, err.Error(), "cloud-codex:litellm.upstream.chatgptApiBase: invalid value")
	require.Contains(t, err.Error(), "cloud-codex:litellm.upstream.oauthTokenUrl: invalid value \"https://xxxxx@gateway/oauth/token\"")

	values["cloud-codex:litellm"] = `{"accounts": {"inRotation": [1]}, "database": {"inCluster": {}},
	  "upstream": {"chatgptApiBase": "http://10.200.0.1:8080", "oauthTokenUrl": "http://10.200.0.1:8080/oauth/token"}}`
	s, err := Load(values)
	require.NoError(t, err)
	args := s.LiteLLM
	require.Equal(t, "http://10.200.0.1:8080", args.Upstream.ChatGPTAPIBase)
	require.Equal(t, "http://10.200.0.1:8080/oauth/token", args.Upstream.OAuthTokenURL)
}

// Every URL that credentials go to refuses plain http:// to a host outside the cluster's own
// network, at its config key: the pool's tokens, the platform token, a provider's API key.
func TestCredentialURLsRefuseCleartextToTheOutside(t *testing.T) {
	values := devConfig()
	values["cloud-codex:litellm"] = `{"accounts": {"inRotation": [1]}, "database": {"inCluster": {}},
	  "upstream": {"chatgptApiBase": "http://gateway.example.com", "oauthTokenUrl": "http://203.0.113.7/oauth/token"},
	  "models": [{"alias": "codex-cli/gpt-5.4", "upstream": "chatgpt/gpt-5.4"},
	             {"alias": "gpt-4.1", "upstream": "openai/gpt-4.1", "apiBase": "http://api.openai.example/v1",
	              "apiKeySecret": {"name": "openai-key", "key": "key"}}]}`
	values["cloud-codex:agents"] = `[{"name": "cody", "registry": {"apiUrl": "http://api.commonly.example", "podId": "p"}}]`
	_, err := Load(values)
	require.Error(t, err)
	for _, key := range []string{
		"cloud-codex:litellm.upstream.chatgptApiBase", "cloud-codex:litellm.upstream.oauthTokenUrl",
		"cloud-codex:litellm.models[1].apiBase", "cloud-codex:agents[0].registry.apiUrl",
	} {
		require.Contains(t, err.Error(), key+": invalid value")
	}
	require.Contains(t, err.Error(), "sends credentials in clear text")

	// Inside the cluster's network plain http is allowed: a private address (the running
	// test's stand-in), a Service's cluster name, loopback.
	values["cloud-codex:litellm"] = `{"accounts": {"inRotation": [1]}, "database": {"inCluster": {}},
	  "upstream": {"chatgptApiBase": "http://gateway.egress.svc.cluster.local:8080", "oauthTokenUrl": "http://10.200.0.1:8080/oauth/token"}}`
	values["cloud-codex:agents"] = `[{"name": "cody", "registry": {"apiUrl": "http://platform.agents.svc:8080", "podId": "p"}}]`
	_, err = Load(values)
	require.NoError(t, err)
}
