package contract

import "testing"

// One list for both judges: the agent's validation and the pack's ConfigMap rule used to
// disagree on these (GITHUB_PAT, *PASSPHRASE, MASTER_KEY, camelCase, Slack and AWS keys).
func TestIsCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"OPENAI_API_KEY": true, "ANTHROPIC_API_KEY": true, "GITHUB_TOKEN": true, "ghToken": true, "password": true,
		"DB_PASSWORD": true, "clientSecret": true, "LITELLM_MASTER_KEY": true, "apikey": true, "x-api-key": true,
		"GITHUB_PAT": true, "GPG_PASSPHRASE": true, "AZURE_CREDENTIALS": true, "SALT_KEY": true, "accessToken": true,
		"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "SSH_PRIVATE_KEY": true, "PGPASSWD": true, "TOKEN": true,
		"CHATGPT_TOKEN_DIR": false, "token_url": false, "SECRET_NAME": false, "max_tokens": false, "tokenizer": false,
		"env_key": false, "LOG_LEVEL": false, "KEYBOARD": false, "cli_auth_credentials_store": false, "API_KEY_FILE": false,
		"SECRETS_FILE": false, "PATH_PREFIX": false, "PATCH": false, "CLIENT_ID": false, "": false,
	} {
		if got := IsCredentialName(name); got != want {
			t.Errorf("IsCredentialName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestLooksLikeCredential(t *testing.T) {
	for v, want := range map[string]bool{
		"sk-abcdefghijklmnopqrstuvwx": true, "sk-proj-abcdefghijklmnop1234": true, "Bearer sk-abcdefgh1": true,
		"ghp_abcdefghijklmnopqrstuvwxyz0123456789": true, "github_pat_11ABCDEFG0123456789_abcdefghijklmnop": true,
		"xoxb-1234567890-abcdefghij": true, "key=AKIAABCDEFGHIJKLMNOP": true,
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl": true,
		"sk-short": false, "task-abcdefghijklmnopqrstuvwx": false, "https://github.example": false, "eyJ": false,
		"AKIAABCDEFGHIJKLMNOPQRST": false, "mask-abcdefghijklmnop": false,
	} {
		if got := LooksLikeCredential(v); got != want {
			t.Errorf("LooksLikeCredential(%q) = %v, want %v", v, got, want)
		}
	}
}
