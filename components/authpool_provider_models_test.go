package components

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cloud-codex/litellmconfig"
)

// Other providers' models ride along with the ChatGPT ones: their keys come from Secrets
// by environment reference, a chatgpt/ alias may fall back to them, and the agents' alias
// stays a chatgpt/ model.
func TestAuthPoolServesOtherProvidersModels(t *testing.T) {
	args := authPoolDevArgs()
	args.Models = []AuthPoolModel{
		{Alias: DefaultResponsesAlias, Upstream: DefaultResponsesUpstream, Fallbacks: []string{"gpt-4.1"}},
		{Alias: "gpt-4.1", Upstream: "openai/gpt-4.1", APIKeySecret: &SecretRef{Name: "openai-key", Key: "api-key"}},
		{Alias: "embed", Upstream: "openai/text-embedding-3-small", APIKeySecret: &SecretRef{Name: "openai-key", Key: "api-key"}, APIBase: "https://openai.internal.example.com/v1"},
		{Alias: "local", Upstream: "ollama/llama3"},
	}
	require.NoError(t, args.Validate())
	require.Equal(t, DefaultResponsesAlias, args.EffectiveResponsesAlias(), "the agents' alias is the chatgpt/ one")
	require.Equal(t, []string{"openai-key/api-key", "openai-key/api-key"}, args.AuthPoolProviderKeySecrets())

	r := mustRunAuthPool(t, args)
	cm := r.k8s(t, authPoolCMType, "litellm-config")
	cfg, err := litellmconfig.Parse(at(t, cm.Plain, "data", litellmconfig.FileName).(string))
	require.NoError(t, err)
	require.Equal(t, []litellmconfig.Model{
		{ModelName: DefaultResponsesAlias, LiteLLMParams: litellmconfig.LiteLLMParams{Model: DefaultResponsesUpstream}},
		{ModelName: "gpt-4.1", LiteLLMParams: litellmconfig.LiteLLMParams{Model: "openai/gpt-4.1", APIKey: "os.environ/LITELLM_MODEL_1_API_KEY"}},
		{ModelName: "embed", LiteLLMParams: litellmconfig.LiteLLMParams{Model: "openai/text-embedding-3-small", APIKey: "os.environ/LITELLM_MODEL_2_API_KEY", APIBase: "https://openai.internal.example.com/v1"}},
		{ModelName: "local", LiteLLMParams: litellmconfig.LiteLLMParams{Model: "ollama/llama3"}},
	}, cfg.ModelList)
	require.Equal(t, []map[string][]string{{DefaultResponsesAlias: {"gpt-4.1"}}}, cfg.RouterSettings.Fallbacks)
	up, _ := cfg.Upstream(DefaultResponsesAlias)
	require.True(t, litellmconfig.IsResponsesPathModel(up))

	litellm := authPoolContainer(t, r.k8s(t, authPoolDeployType, "litellm"), "litellm")
	refs := authPoolSecretRefs(t, litellm)
	require.Equal(t, [2]string{"openai-key", "api-key"}, refs["LITELLM_MODEL_1_API_KEY"])
	require.Equal(t, [2]string{"openai-key", "api-key"}, refs["LITELLM_MODEL_2_API_KEY"])
	require.NotContains(t, refs, "LITELLM_MODEL_3_API_KEY", "a model without a key gets no variable")
}

func TestAuthPoolFallbackToAnotherChatGPTPathStillRefused(t *testing.T) {
	args := authPoolDevArgs()
	args.Models = append(DefaultAuthPoolModels(),
		AuthPoolModel{Alias: "chat", Upstream: "chatgpt/responses/gpt-5.4", Path: AuthPoolChatPath})
	args.Models[0].Fallbacks = []string{"chat"}
	err := args.Validate()
	require.Error(t, err)
	require.Contains(t, err.Error(), "models[0].fallbacks[0]")
}
