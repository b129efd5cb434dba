package contract

import "testing"

func TestPrefixMayNameChatGPTCredentialEnv(t *testing.T) {
	for prefix, want := range map[string]bool{
		"OPENAI_": true, "CODEX_": true, "OPENAI_API_": true, "OPENAI_CODEX_": true, "OPENAI_CODEX_X_": true, "O": true,
		"": false, "MY_OPENAI_": true, "AZURE_OPENAI_": true, "CHATGPT_": true, "OPENAI_BASE_": true, "OPENAI_API_KEY": true,
		"APP_": false, "LITELLM_": false, "GITHUB_": false,
	} {
		if got := PrefixMayNameChatGPTCredentialEnv(prefix); got != want {
			t.Errorf("PrefixMayNameChatGPTCredentialEnv(%q) = %v, want %v", prefix, got, want)
		}
	}
}

// Every spelling of an OpenAI/ChatGPT/codex credential, not only the two codex reads: an
// agent's MCP server or script reads its own (issue 21's class "credentials through a side
// door"). Names that mention a vendor but hold no credential, and credentials of other
// vendors, are not.
func TestIsChatGPTCredentialEnv(t *testing.T) {
	for name, want := range map[string]bool{
		"OPENAI_API_KEY": true, "CODEX_API_KEY": true, "OPENAI_CODEX_TOKEN": true, "OPENAI_KEY": true,
		"AZURE_OPENAI_API_KEY": true, "openaiApiKey": true, "openAIApiKey": true, "CHATGPT_ACCESS_TOKEN": true,
		"chatgpt_refresh_token": true, "CODEX_TOKEN": true, "MY_OPENAI_SECRET": true, "openai-api-key": true,
		"OPENAI_BASE_URL": false, "CODEX_HOME": false, "CHATGPT_TOKEN_DIR": false, "OPENAI_API_KEY_FILE": false,
		"OPENAI_ORGANIZATION": false, "CODEX_VERSION": false, "LITELLM_API_KEY": false, "GITHUB_TOKEN": false,
		"ANTHROPIC_API_KEY": false, "openai_model": false, "": false,
	} {
		if got := IsChatGPTCredentialEnv(name); got != want {
			t.Errorf("IsChatGPTCredentialEnv(%q) = %v, want %v", name, got, want)
		}
	}
}
