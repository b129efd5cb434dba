package contract

import "testing"

func TestPrefixMayNameChatGPTCredentialEnv(t *testing.T) {
	for prefix, want := range map[string]bool{
		"OPENAI_": true, "CODEX_": true, "OPENAI_API_": true, "OPENAI_CODEX_": true, "OPENAI_CODEX_X_": true, "O": true,
		"": false, "OPENAI_API_KEY": false, "OPENAI_BASE_": false, "CODEX_HOME_": false, "APP_": false, "LITELLM_": false,
	} {
		if got := PrefixMayNameChatGPTCredentialEnv(prefix); got != want {
			t.Errorf("PrefixMayNameChatGPTCredentialEnv(%q) = %v, want %v", prefix, got, want)
		}
	}
}
