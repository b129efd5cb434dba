package components

// Type tokens of the components. The policy pack recognises the auth pool by the
// LiteLLMAuthPool token in a resource's parent chain, so these are part of the contract.
const (
	CloudCodexAgentType = "cloud-codex:index:CloudCodexAgent"
	LiteLLMAuthPoolType = "cloud-codex:index:LiteLLMAuthPool"
)
