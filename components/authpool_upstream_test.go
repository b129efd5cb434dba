package components

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAuthPoolUpstreamOverridesReachLiteLLMAndTheRotator(t *testing.T) {
	// Default: OpenAI's own endpoints, nothing set.
	r := mustRunAuthPool(t, authPoolDevArgs())
	dep := r.k8s(t, "kubernetes:apps/v1:Deployment", "litellm")
	require.NotContains(t, authPoolEnvMap(t, authPoolContainer(t, dep, "litellm")), "CHATGPT_API_BASE")
	require.NotContains(t, authPoolStrings(t, authPoolContainer(t, dep, "rotator")["command"]), "--token-url")

	args := authPoolDevArgs()
	args.Upstream = AuthPoolUpstream{ChatGPTAPIBase: "http://10.200.0.1:8080", OAuthTokenURL: "http://10.200.0.1:8080/oauth/token"}
	r = mustRunAuthPool(t, args)
	dep = r.k8s(t, "kubernetes:apps/v1:Deployment", "litellm")
	require.Equal(t, "http://10.200.0.1:8080", authPoolEnvMap(t, authPoolContainer(t, dep, "litellm"))["CHATGPT_API_BASE"])
	for _, c := range []string{"seed", "rotator"} {
		cmd := authPoolStrings(t, authPoolContainer(t, dep, c)["command"])
		require.Subset(t, cmd, []string{"--token-url", "http://10.200.0.1:8080/oauth/token"}, c)
	}

	args.Upstream = AuthPoolUpstream{ChatGPTAPIBase: "chatgpt.com", OAuthTokenURL: "https://u:p@auth.example/oauth/token"}
	_, err := runAuthPool(t, args)
	require.ErrorContains(t, err, "upstream.chatgptApiBase")
	require.ErrorContains(t, err, "upstream.oauthTokenUrl")
}

func TestAuthPoolReadyOnlyWhileTheRotatorSaysSo(t *testing.T) {
	r := mustRunAuthPool(t, authPoolDevArgs())
	dep := r.k8s(t, "kubernetes:apps/v1:Deployment", "litellm")
	probe := authPoolContainer(t, dep, "rotator")["readinessProbe"].(map[string]any)
	require.Equal(t, []string{authPoolRotatorBin, "ready", "--dir", authPoolAuthDir},
		authPoolStrings(t, probe["exec"].(map[string]any)["command"]))
}
