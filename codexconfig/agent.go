package codexconfig

import "cloud-codex/contract"

// ForLiteLLM is the config every cloud-codex agent runs with: all model calls go to the
// in-cluster LiteLLM proxy at baseURL (its /v1 endpoint), authenticated with the agent's
// LiteLLM virtual key from LITELLM_API_KEY. Nothing in it is secret.
func ForLiteLLM(model, baseURL string, mcp map[string]MCPServer) Config {
	noUpdateCheck := false
	return Config{
		Model:                   model,
		ModelProvider:           ProviderID,
		ApprovalPolicy:          ApprovalNever,
		SandboxMode:             SandboxFullAccess,
		CheckForUpdateOnStartup: &noUpdateCheck,
		ModelProviders: map[string]ModelProvider{
			ProviderID: {
				Name:    "LiteLLM (in-cluster)",
				BaseURL: baseURL,
				WireAPI: WireAPIResponses,
				EnvKey:  contract.LiteLLMAPIKeyEnv,
			},
		},
		MCPServers: mcp,
	}
}
