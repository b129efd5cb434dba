package litellmconfig

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenderParseRoundTrip(t *testing.T) {
	c := Config{
		ModelList: []Model{
			{ModelName: "codex-cli/gpt-5.4", LiteLLMParams: LiteLLMParams{Model: "chatgpt/gpt-5.4"}},
			{ModelName: "chat/gpt-5.4", LiteLLMParams: LiteLLMParams{Model: "chatgpt/responses/gpt-5.4"}},
		},
		RouterSettings:  RouterSettings{Fallbacks: []map[string][]string{{"chat/gpt-5.4": {"chat/other"}}}, NumRetries: 2},
		LiteLLMSettings: LiteLLMSettings{DropParams: true},
		GeneralSettings: GeneralSettings{MasterKey: EnvRef("LITELLM_MASTER_KEY"), DatabaseURL: EnvRef("DATABASE_URL")},
	}
	text, err := Render(c)
	require.NoError(t, err)
	require.Contains(t, text, "master_key: os.environ/LITELLM_MASTER_KEY")
	back, err := Parse(text)
	require.NoError(t, err)
	require.Equal(t, c, back)

	up, ok := back.Upstream("codex-cli/gpt-5.4")
	require.True(t, ok)
	require.True(t, IsResponsesPathModel(up))
	up, _ = back.Upstream("chat/gpt-5.4")
	require.False(t, IsResponsesPathModel(up), "chatgpt/responses/ leaks responses/ upstream on the responses path")
	_, ok = back.Upstream("missing")
	require.False(t, ok)
	require.False(t, IsResponsesPathModel("openai/gpt-5.4"))
}

func TestParseRejectsBrokenYAML(t *testing.T) {
	_, err := Parse("model_list: [unclosed")
	require.Error(t, err)
	require.Contains(t, err.Error(), "litellm config.yaml")
}
