package contract

// Type tokens of the components. They are contract because the pack recognises the auth
// pool and the agents by these tokens in a resource's parent chain, and a token is part of
// every child's URN: renaming one moves every URN of a stack (aliases needed).
const (
	CloudCodexAgentType        = "cloud-codex:index:CloudCodexAgent"
	CloudCodexAgentScriptsType = "cloud-codex:index:CloudCodexAgentScripts"
	LiteLLMAuthPoolType        = "cloud-codex:index:LiteLLMAuthPool"
	LiteLLMKeyRegistrarType    = "cloud-codex:index:LiteLLMKeyRegistrar"
	DevDatabaseType            = "cloud-codex:index:DevDatabase"
)
