package codexconfig

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForLiteLLMRoundTripsAndPutsRootKeysFirst(t *testing.T) {
	c := ForLiteLLM("codex-cli/gpt-5.4", "http://litellm.ns.svc.cluster.local:4000/v1", map[string]MCPServer{
		"gh": {Command: "github-mcp", Args: []string{"--stdio"}, Env: map[string]string{"A": "1"}, EnvVars: []string{"GITHUB_TOKEN"}},
	})
	text, err := Render(c)
	require.NoError(t, err)
	firstTable := strings.Index(text, "[")
	for _, key := range []string{"model =", "model_provider =", "approval_policy =", "sandbox_mode =", "check_for_update_on_startup ="} {
		at := strings.Index(text, key)
		require.GreaterOrEqual(t, at, 0, key)
		require.Less(t, at, firstTable, "%s must precede every table, as TOML requires", key)
	}
	back, err := Parse(text)
	require.NoError(t, err)
	require.Equal(t, c, back)
	p, ok := back.ActiveProvider()
	require.True(t, ok)
	require.Equal(t, ModelProvider{Name: "LiteLLM (in-cluster)", BaseURL: "http://litellm.ns.svc.cluster.local:4000/v1", WireAPI: "responses", EnvKey: "LITELLM_API_KEY"}, p)
}

func TestParseIgnoresUnknownKeysAndRejectsBrokenTOML(t *testing.T) {
	c, err := Parse("model = \"m\"\nmodel_provider = \"openai\"\nfuture_key = 1\n")
	require.NoError(t, err)
	require.Equal(t, "openai", c.ModelProvider)
	_, ok := c.ActiveProvider()
	require.False(t, ok)
	require.True(t, IsBuiltinProvider(c.ModelProvider))
	require.False(t, IsBuiltinProvider(ProviderID))

	_, err = Parse("model = \n")
	require.Error(t, err)
	require.Contains(t, err.Error(), "codex config.toml")
}

func TestLoginConfigSetsOnlyTheCredentialsStore(t *testing.T) {
	text, err := Render(LoginConfig())
	require.NoError(t, err)
	back, err := Parse(text)
	require.NoError(t, err)
	require.Equal(t, LoginConfig(), back)
	require.Equal(t, "cli_auth_credentials_store = 'file'\n", text,
		"one key: an empty model or model_provider would be a config codex rejects")
}

func TestProfilesReplaceRootValues(t *testing.T) {
	c, err := Parse(`
model = "m"
model_provider = "litellm"
profile = "o"

[model_providers.litellm]
base_url = "http://litellm:4000/v1"

[profiles.o]
model_provider = "openai"

[profiles.fast]
model = "m-mini"
`)
	require.NoError(t, err)
	eff, name, ok := c.Effective("")
	require.True(t, ok)
	require.Equal(t, "o", name)
	require.Equal(t, "openai", eff.ModelProvider)
	require.Equal(t, "m", eff.Model, "a value the profile does not set stays the root one")

	eff, name, ok = c.Effective("fast") // codex -p fast: the command line wins over `profile`
	require.True(t, ok)
	require.Equal(t, "fast", name)
	require.Equal(t, "m-mini", eff.Model)
	require.Equal(t, "litellm", eff.ModelProvider)

	_, _, ok = c.Effective("missing")
	require.False(t, ok)

	noProfile := ForLiteLLM("m", "http://x/v1", nil)
	eff, name, ok = noProfile.Effective("")
	require.True(t, ok)
	require.Empty(t, name)
	require.Equal(t, noProfile, eff)
	text, err := Render(noProfile)
	require.NoError(t, err)
	require.NotContains(t, text, "profile", "an agent's config renders no profile keys")
}
