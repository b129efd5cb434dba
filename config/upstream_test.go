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
	require.Contains(t, err.Error(), "cloud-codex:litellm.upstream.oauthTokenUrl: invalid value https://user:xxxxx@gateway/oauth/token")

	values["cloud-codex:litellm"] = `{"accounts": {"inRotation": [1]}, "database": {"inCluster": {}},
	  "upstream": {"chatgptApiBase": "http://10.200.0.1:8080", "oauthTokenUrl": "http://10.200.0.1:8080/oauth/token"}}`
	s, err := Load(values)
	require.NoError(t, err)
	args := s.LiteLLM
	require.Equal(t, "http://10.200.0.1:8080", args.Upstream.ChatGPTAPIBase)
	require.Equal(t, "http://10.200.0.1:8080/oauth/token", args.Upstream.OAuthTokenURL)
}
