package contract

import "strings"

// The agent's registry identity. Contract because the CloudCodexAgent sets these literals
// and the agent-identity rule requires them: the platform only knows agents named "codex"
// and tells instances apart by their instance id (a chart default of "cloud-codex" once
// made every agent stale).
const (
	AgentNameEnv      = "COMMONLY_AGENT_NAME"
	InstanceIDEnv     = "COMMONLY_INSTANCE_ID"
	AgentRegistryName = "codex"
)

// LiteLLMAPIKeyEnv holds an agent's LiteLLM virtual key. Contract because the agent's codex
// config names it as the provider's env_key, the component fills it from a Secret, and the
// pack requires both (agents-route-through-litellm, litellm-api-key-from-secret).
const LiteLLMAPIKeyEnv = "LITELLM_API_KEY"

// The env names LiteLLM reads its own secrets from; the LiteLLMAuthPool stores each under a
// Secret key of the same name. Contract because the pack finds the pool's Secrets by these
// names (litellm-pool-secrets-only-in-pool), including a pool's in another stack.
const (
	MasterKeyEnv   = "LITELLM_MASTER_KEY"
	SaltKeyEnv     = "LITELLM_SALT_KEY"
	DatabaseURLEnv = "DATABASE_URL"
)

// CodexHomeEnv is codex's home directory variable. Contract because the components place
// an agent's codex state there and the pack treats a credential file under it as a codex
// login (no-codex-credentials-outside-auth-pool).
const CodexHomeEnv = "CODEX_HOME"

// ChatGPTCredentialEnv are the env names under which codex (and OpenAI's clients) take a
// ChatGPT/OpenAI credential directly, and ChatGPTCredentialEnvPrefix marks a family of
// them. Contract because ADR-014 forbids them outside the auth pool: the agent's
// validation refuses them in its config and the pack refuses them in any workload.
var ChatGPTCredentialEnv = []string{"OPENAI_API_KEY", "CODEX_API_KEY"}

// ChatGPTCredentialEnvPrefix: every OPENAI_CODEX_* variable is treated as a credential.
const ChatGPTCredentialEnvPrefix = "OPENAI_CODEX_"

// chatGPTVendorWords: a credential name (IsCredentialName) that mentions one of these is an
// OpenAI/ChatGPT/codex credential whatever the rest says (OPENAI_KEY, AZURE_OPENAI_API_KEY,
// CHATGPT_ACCESS_TOKEN, openaiApiKey). The exact names above are only the ones codex reads;
// the invariant is about the credential, and every other program an agent runs (an MCP
// server, a script) reads its own spelling of it.
var chatGPTVendorWords = []string{"OPENAI", "CHATGPT", "CODEX"}

// mentionsChatGPTVendor reports whether name, upper-cased with its separators dropped,
// contains a vendor word: camelCase splits OpenAIKey into OPEN and AIKEY, so the words are
// looked for across segment bounds.
func mentionsChatGPTVendor(name string) bool {
	squashed := strings.ToUpper(strings.Join(NameSegments(name), ""))
	for _, w := range chatGPTVendorWords {
		if strings.Contains(squashed, w) {
			return true
		}
	}
	return false
}

// PrefixMayNameChatGPTCredentialEnv reports whether some key, imported with this envFrom
// prefix, gets a ChatGPT/OpenAI credential env name: a prefix of one of
// ChatGPTCredentialEnv (OPENAI_, CODEX_, OPENAI_API_), one that starts the family
// (OPENAI_CODEX_, OPENAI_CODEX_X_) or is started by it, and any prefix that mentions a
// vendor word (MY_OPENAI_: a key TOKEN makes MY_OPENAI_TOKEN). The keys of an object
// outside the stack cannot be seen, so the prefix is what can be judged. An empty prefix
// is not judged here (every import would be).
func PrefixMayNameChatGPTCredentialEnv(prefix string) bool {
	if prefix == "" {
		return false
	}
	for _, n := range ChatGPTCredentialEnv {
		if len(n) > len(prefix) && strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return strings.HasPrefix(prefix, ChatGPTCredentialEnvPrefix) || strings.HasPrefix(ChatGPTCredentialEnvPrefix, prefix) ||
		mentionsChatGPTVendor(prefix)
}

// IsChatGPTCredentialEnv reports whether name is a ChatGPT/OpenAI credential env name:
// one codex reads (exactly as written), the OPENAI_CODEX_ family, or any credential name
// that mentions OpenAI, ChatGPT or codex (in any case).
func IsChatGPTCredentialEnv(name string) bool {
	for _, n := range ChatGPTCredentialEnv {
		if name == n {
			return true
		}
	}
	return strings.HasPrefix(name, ChatGPTCredentialEnvPrefix) || (IsCredentialName(name) && mentionsChatGPTVendor(name))
}
