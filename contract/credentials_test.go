package contract

import (
	"encoding/base64"
	"strings"
	"testing"
)

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

// G4 (b): any last KEY is a key (OPENAI_KEY, GEMINI_KEY, SSH_KEY), a last PASS a password,
// AUTHORIZATION a header value; the allow-list and the word rules keep the look-alikes out.
func TestIsCredentialName_KeysPasswordsAuthorization(t *testing.T) {
	for _, name := range []string{
		"OPENAI_KEY", "GEMINI_KEY", "SSH_KEY", "STRIPE_KEY", "openaiKey", "geminiKey", "SECRET_KEY", "PRIVATE_KEY",
		"SSH_HOST_KEY", "license_key", "API_KEY_V2", "sshkey", "sessionKey", "openai.api.key", "openai-key",
		"DB_PASS", "SMTP_PASS", "dbPass", "PGPASS", "MYSQLPASS", "pass",
		"TOKEN_ISSUER_SECRET", "ENCRYPTION_SECRET", "client_secret", "secretExisting", "EXISTING_PASSWORD", "existingToken",
		"AUTHORIZATION", "Authorization", "PROXY_AUTHORIZATION", "DB_CREDENTIAL", "GCP_CREDENTIALS", "refresh_token",
	} {
		if !IsCredentialName(name) {
			t.Errorf("IsCredentialName(%q) = false, want true", name)
		}
	}
	// Must pass: names that contain the words but hold no credential.
	for _, name := range []string{
		"SSH_KNOWN_HOSTS", "PRIMARY_KEY_COLUMN", "KEYBOARD", "MONKEY", "TURKEY", "TOKENIZERS_PARALLELISM",
		"PASSTHROUGH", "PASS_THROUGH", "passThrough", "BYPASS", "COMPASS", "COMPASS_URL", "KEY_ID", "GPG_KEY_ID",
		"SSH_PUBLIC_KEY", "PUBLIC_KEY", "publicKey", "STRIPE_PUBLISHABLE_KEY", "env_key", "ENV_KEY", "PRIMARY_KEY",
		"FOREIGN_KEY", "SORT_KEY", "PARTITION_KEY", "CACHE_KEY", "topologyKey", "LABEL_KEY", "IDEMPOTENCY_KEY",
		"key", "KEY", "OPENAI_KEY_FILE", "SSH_KEY_PATH", "DATABASE_URL", "MONGO_URI", "AUTHORIZATION_ENDPOINT",
		"AUTH_MODE", "API_KEY_ENV", "api_key_env_var", "SECRET_KEY_REF", "PASSWORD_MIN_LENGTH", "KEYS_DIR", "HOTKEYS",
		"CODEX_TOKEN_BUDGET", "OPENAI_TOKEN_TIMEOUT", "TOKEN_REFRESH_INTERVAL",
		// A property of a credential, not its value; Helm charts' references to an existing Secret.
		"TOKEN_ISSUER", "tokenIssuer", "TOKEN_AUDIENCE", "token_scopes", "JWT_TOKEN_ALGORITHM", "password_encryption",
		"existingSecret", "EXISTING_SECRET", "existingSecretPasswordKey", "existingSecretKey",
	} {
		if IsCredentialName(name) {
			t.Errorf("IsCredentialName(%q) = true, want false", name)
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

// G4 (a) and (c): the shapes under any name, and their look-alikes.
func TestFindCredential_Shapes(t *testing.T) {
	for _, tc := range []struct{ v, what string }{
		{"sk_live_" + strings.Repeat("a1", 12), "a Stripe key"},
		{"sk_test_" + strings.Repeat("Z9", 12), "a Stripe key"},
		{"rk_live_" + strings.Repeat("b2", 12), "a Stripe key"},
		{"AIzaSy" + strings.Repeat("A1b2C3d4e5", 3) + "abc", "a Google API key"},
		{"gho_" + strings.Repeat("x1", 18), "a GitHub token"},
		{"glpat-" + strings.Repeat("ab12", 5), "a GitLab token"},
		{"npm_" + strings.Repeat("a1B2", 9), "an npm token"},
		{"xoxp-1234567890-abcdef", "a Slack token"},
		{"ASIA0123456789ABCDEF", "an AWS access key id"},
		{"Bearer abcdefgh12345678", "a Bearer token"},
		{"Authorization: bearer 0123456789abcdefXYZ", "a Bearer token"},
		{"Authorization: Basic dXNlcjpodW50ZXIy", "a Basic authorization"}, // user:hunter2
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "a PEM private key"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", "a PEM private key"},
		{"-----BEGIN PRIVATE KEY-----", "a PEM private key"},
		{"-----BEGIN PGP PRIVATE KEY BLOCK-----", "a PEM private key"},
		{"postgres://u:hunter2@db/x", "a URL with a password"},
		{"mongodb://u:hunter2@db/x", "a URL with a password"},
		{"mongodb+srv://admin:s3cr%40t@cluster0.example.net/app", "a URL with a password"},
		{"redis://:hunter2@cache:6379/0", "a URL with a password"},
		{"git clone https://x-access-token:abc123@git.example/r.git", "a URL with a password"},
		{"--db=mysql://root:toor@127.0.0.1:3306/db", "a URL with a password"},
	} {
		what, found, ok := FindCredential(tc.v)
		if !ok || what != tc.what {
			t.Errorf("FindCredential(%q) = %q, %q, %v; want %s", tc.v, what, found, ok, tc.what)
		}
	}
	for _, v := range []string{
		"postgres://u@db/x", "postgres://u:@db/x", "postgres://u:$(DB_PASSWORD)@db/x", "postgres://u:${DB_PASSWORD}@db/x",
		"postgres://user:password@host/db", "postgres://<user>:<password>@host/db", "postgres://%s:%s@%s/%s",
		"http://localhost:4000/v1", "http://[::1]:8080/x", "https://host:8443/p?email=a@b.c", "ssh://git@host:22/r.git",
		"git@github.com:org/repo.git", "https://compass.example/api", "os.environ/DATABASE_URL",
		"Bearer authentication", "Bearer <master key>", "Bearer ${TOKEN}", "Authorization: Bearer $(cat /run/secrets/t)",
		"Basic authentication", "Basic realm", "-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----",
		"sk_live_", "AIzaShort", "task_live_abcdefghijklmnop", "keyboard", "monkey",
	} {
		if what, found, ok := FindCredential(v); ok {
			t.Errorf("FindCredential(%q) = %s (%q), want none", v, what, found)
		}
	}
}

func TestIsPlaceholderValue(t *testing.T) {
	for v, want := range map[string]bool{
		"": true, "${X}": true, "$(X)": true, "$X": true, "os.environ/X": true, "<set me>": true, "***": true, "xxx": true,
		"true": true, "4096": true, `"${X}"`: true, "{{ .Values.key }}": true, "Bearer ${TOKEN}": true, "Bearer <token>": true,
		"$slack-token": true, "$email.password": true, "$__file{/etc/secrets/client-secret}": true, "$__env{GF_PW}": true,
		"$__vault{kv:secret/grafana}": true, "$__file{}": false, "$2y$10$abc": false, "pre$fix": false,
		"Bearer abc": false, "Bearer": false,
		"hunter2": false, "abc123": false, "sk-x": false,
	} {
		if got := IsPlaceholderValue(v); got != want {
			t.Errorf("IsPlaceholderValue(%q) = %v, want %v", v, got, want)
		}
	}
}

func jwtWith(t *testing.T, claims string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("signature-bytes"))
}

// The ChatGPT/OpenAI shapes the pack judges under any name; a LiteLLM virtual key (sk- and
// random characters) and other issuers' JWTs are not among them. Every one is also a
// FindCredential match, so the agent's validation refuses it too.
func TestFindChatGPTCredential(t *testing.T) {
	yes := []string{
		"sk-proj-AbCdEf0123456789AbCdEf0123456789", "sk-svcacct-AbCdEf0123456789AbCdEf01",
		"sk-admin-AbCdEf0123456789AbCdEf0123", "sk-AbCdEfGhIjKlMnOpT3BlbkFJAbCdEfGhIjKlMnOp",
		"key=sk-proj-AbCdEf0123456789AbCdEf0123456789\n",
		jwtWith(t, `{"iss":"https://auth.openai.com","sub":"auth0|x"}`),
		jwtWith(t, `{"iss":"https://auth.openai.com/","exp":1}`),
		jwtWith(t, `{"https://api.openai.com/auth":{"chatgpt_account_id":"acc"},"exp":1}`),
	}
	no := []string{
		"sk-AbCdEf0123456789", "sk-kR8bNq2LxT0pWz9YcV3mHs6JdF4gA1eU7iO5uB", "sk-project-notes", "",
		jwtWith(t, `{"iss":"https://accounts.google.com","sub":"1"}`), "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
	}
	for _, v := range yes {
		if _, _, ok := FindChatGPTCredential(v); !ok {
			t.Errorf("FindChatGPTCredential(%q) = false, want true", v)
		}
		if !LooksLikeCredential(v) {
			t.Errorf("LooksLikeCredential(%q) = false: the agent's validation would pass what the pack refuses", v)
		}
	}
	for _, v := range no {
		if what, _, ok := FindChatGPTCredential(v); ok {
			t.Errorf("FindChatGPTCredential(%q) = %s, want none", v, what)
		}
	}
}
