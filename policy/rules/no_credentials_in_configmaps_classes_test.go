package rules

import (
	"strings"
	"testing"

	"cloud-codex/codexconfig"
)

// The auditor's G4 and G5 classes: credentials that passed both config validation and this
// rule. Each class has a violating sample and compliant look-alikes that must pass.

// testGoogleKey is shaped like a Google API key (AIza + 35 characters); not a real one.
var testGoogleKey = "AIzaSy" + strings.Repeat("A1b2C3d4e5", 3) + "abc"

// testStripeKey is shaped like a Stripe live secret key; not a real one.
var testStripeKey = "sk_live_" + strings.Repeat("a1B2", 6)

// mcpConfigTOML is the agent's config.toml with one MCP server whose env is env, as the
// component renders it.
func mcpConfigTOML(t *testing.T, env map[string]string) string {
	return codexConfigTOML(t, func(c *codexconfig.Config) {
		c.MCPServers = map[string]codexconfig.MCPServer{"tools": {Command: "npx", Env: env}}
	})
}

// G4: an MCP server's env literal in the agent's config.toml, by name (a, b) or by shape (c).
func TestCheckConfigMapCredentials_G4ConfigTOML(t *testing.T) {
	for _, tc := range []struct {
		name, envName, value, want string
	}{
		// (b) names
		{"OPENAI_KEY", "OPENAI_KEY", "abcdefgh12345678", "mcp_servers.tools.env.OPENAI_KEY is named like a credential"},
		{"DB_PASS", "DB_PASS", "hunter2", "mcp_servers.tools.env.DB_PASS is named like a credential"},
		{"SSH_KEY", "SSH_KEY", "not-a-pem-but-a-key", "mcp_servers.tools.env.SSH_KEY is named like a credential"},
		{"AUTHORIZATION with a short token", "AUTHORIZATION", "Bearer abc", "mcp_servers.tools.env.AUTHORIZATION is named like a credential"},
		// (c) shapes under any name
		{"GEMINI_KEY", "GEMINI_KEY", testGoogleKey, "contains a Google API key (AIzaSy…)"},
		{"Stripe key under an innocent name", "STRIPE", testStripeKey, "contains a Stripe key (sk_liv…)"},
		{"Bearer token under an innocent name", "HEADERS", "Authorization: Bearer abcdefgh12345678", "contains a Bearer token (abcdef…)"},
		{"PEM private key", "IDENTITY", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "contains a PEM private key"},
		{"GitLab token", "UPSTREAM", "glpat-" + strings.Repeat("ab12", 5), "contains a GitLab token (glpat-…)"},
		// (a) a URL's password, whatever the name (*_URL, *_URI are not exempt)
		{"DATABASE_URL with a password", "DATABASE_URL", "postgres://u:hunter2@db/x", "contains a URL with a password (postgr…)"},
		{"MONGO_URI with a password", "MONGO_URI", "mongodb://u:hunter2@db/x", "contains a URL with a password (mongod…)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckConfigMapCredentials(map[string]string{"config.toml": mcpConfigTOML(t, map[string]string{tc.envName: tc.value})}, nil)
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("findings %q, want one like %q", got, tc.want)
			}
			if strings.Contains(got[0], tc.value) || strings.Contains(got[0], "hunter2") {
				t.Errorf("finding repeats the secret: %q", got[0])
			}
		})
	}
}

// G5: the same credential in every format a ConfigMap value can hold, whatever the data
// key's name.
func TestCheckConfigMapCredentials_G5Formats(t *testing.T) {
	for _, tc := range []struct {
		name string
		data map[string]string
		want string
	}{
		{"a YAML second document", map[string]string{"app.yaml": "log: debug\n---\nopenai:\n  api_key: abc123\n"},
			`document 2: openai.api_key`},
		{"a Kubernetes-style env list", map[string]string{"env.yaml": "- name: LOG_LEVEL\n  value: debug\n- name: OPENAI_API_KEY\n  value: abc123\n"},
			`[1] (name OPENAI_API_KEY)`},
		{"an env list inside a pod template", map[string]string{"pod.yaml": "spec:\n  containers:\n  - name: app\n    env:\n    - {name: GITHUB_TOKEN, value: abc123}\n"},
			`spec.containers[0].env[0] (name GITHUB_TOKEN)`},
		{"key/value pairs", map[string]string{"settings.json": `{"vars": [{"key": "DB_PASS", "value": "abc123"}]}`},
			`vars[0] (key DB_PASS)`},
		{"a compose environment list", map[string]string{"compose.yaml": "services:\n  app:\n    environment:\n      - OPENAI_API_KEY=abc123\n"},
			`services.app.environment[0]: OPENAI_API_KEY`},
		{"TOML under a key without .toml", map[string]string{"codex": "[mcp_servers.x.env]\nOPENAI_KEY = \"abc123\"\n"},
			`mcp_servers.x.env.OPENAI_KEY`},
		{".env with spaces around =", map[string]string{"settings": "LOG_LEVEL = debug\nOPENAI_API_KEY = abc123\n"},
			`line 2: OPENAI_API_KEY`},
		{".env with export and a comment", map[string]string{"app.env": "# app\nexport DB_PASS = abc123  # dev\n"},
			`line 2: DB_PASS`},
		{".properties", map[string]string{"application.properties": "server.port=8080\nopenai.api.key=abc123\n"},
			`line 2: openai.api.key`},
		{".properties with a colon", map[string]string{"app.properties": "spring.datasource.password: abc123\n"},
			`spring.datasource.password`},
		{"INI section", map[string]string{"app.ini": "; settings\n[database]\nhost = db\npassword = abc123\n"},
			`line 4: [database] password`},
		{"INI with quoted values (TOML)", map[string]string{"app.ini": "[database]\nhost = \"db\"\npassword = \"abc123\"\n"},
			`database.password`},
		{"JSON nested objects", map[string]string{"config.json": `{"providers": {"gemini": {"auth": {"clientSecret": "abc123"}}}}`},
			`providers.gemini.auth.clientSecret`},
		{"JSON arrays of objects", map[string]string{"config.json": `{"servers": [{"url": "x"}, {"token": "abc123"}]}`},
			`servers[1].token`},
		{"JSON indented with tabs", map[string]string{"config.json": "{\n\t\"openai\": {\n\t\t\"apiKey\": \"abc123\"\n\t}\n}"},
			`openai.apiKey`},
		{"a top-level JSON env list", map[string]string{"env.json": `[{"name": "OPENAI_KEY", "value": "abc123"}]`},
			`[0] (name OPENAI_KEY)`},
		{"a .env inside a YAML value", map[string]string{"values.yaml": "files:\n  app.env: |\n    LOG=debug\n    DB_PASS=abc123\n"},
			`files.app.env: line 2: DB_PASS`},
		{"a quoted assignment in a script", map[string]string{"run.py": "import os\nOPENAI_API_KEY = \"abc123\"\nprint(os.getcwd())\n"},
			`line 2: OPENAI_API_KEY`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckConfigMapCredentials(tc.data, nil)
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("findings %q, want one like %q", got, tc.want)
			}
			if strings.Contains(got[0], "abc123") {
				t.Errorf("finding repeats the secret: %q", got[0])
			}
		})
	}
}

// Compliant look-alikes of every class pass: names that contain the words, references,
// URLs without a password, prose about tokens, code that reads secrets from the
// environment.
func TestCheckConfigMapCredentials_ClassesLookAlikesPass(t *testing.T) {
	data := map[string]string{
		"config.toml": mcpConfigTOML(t, map[string]string{
			"SSH_KNOWN_HOSTS":    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
			"PRIMARY_KEY_COLUMN": "id", "KEYBOARD": "us", "MONKEY": "patch", "TOKENIZERS_PARALLELISM": "false",
			"PASSTHROUGH": "all", "COMPASS_URL": "https://compass.example/api", "KEY_ID": "k-2024", "GPG_KEY_ID": "ABCDEF0123456789",
			"SSH_PUBLIC_KEY":         "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
			"STRIPE_PUBLISHABLE_KEY": "pk_live_abcdefghijklmnop", "SORT_KEY": "created_at", "CACHE_KEY": "v2",
			"DATABASE_URL": "postgres://u@db/x", "MONGO_URI": "mongodb://db:27017/x", "REDIS_URL": "redis://$(REDIS_USER):$(REDIS_PASSWORD)@cache:6379",
			"DOCS": "use postgres://user:password@host/db", "AUTH_MODE": "Bearer authentication",
			"OPENAI_KEY_FILE": "/run/secrets/openai", "API_KEY_ENV": "GEMINI_API_KEY", "GEMINI_KEY": "${GEMINI_KEY}",
		}),
		"app.yaml":               "topologyKey: kubernetes.io/hostname\nsecretKeyRef: {name: db, key: password}\n---\nenv:\n- name: DB_PASS\n  valueFrom: {secretKeyRef: {name: db, key: pass}}\n- name: LOG_LEVEL\n  value: debug\n",
		"tolerations":            "- key: node-role.kubernetes.io/control-plane\n  operator: Exists\n  value: ''\n",
		"settings":               "LOG_LEVEL = debug\nOPENAI_API_KEY = ${OPENAI_API_KEY}\nDB_PASS =\n",
		"app.ini":                "[database]\nhost = db\npassword = <set in the Secret>\n",
		"application.properties": "server.port=8080\nopenai.api.key=${OPENAI_API_KEY}\nspring.datasource.url=jdbc:postgresql://db:5432/app\n",
		"compose.yaml":           "services:\n  app:\n    environment:\n      - OPENAI_API_KEY\n      - DB_PASS=${DB_PASS}\n    command: [sh, -c, 'TOKEN=$(cat /run/secrets/t) exec app']\n",
		"client.go":              "package x\n\nconst (\n\tEnvMasterKey = \"LITELLM_MASTER_KEY\"\n)\n\nfunc f() {\n\tcfg.MasterKey = getenv(EnvMasterKey)\n\treq.Header.Set(\"Authorization\", \"Bearer \"+cfg.MasterKey)\n}\n",
		"identity.js":            "const token = process.env.COMMONLY_RUNTIME_TOKEN;\nidentity.runtimeToken = token;\n",
		"run.py":                 "import os\nOPENAI_API_KEY = os.environ[\"OPENAI_API_KEY\"]\n",
		"README":                 "Every request sends Authorization: Bearer <master key>; Basic authentication is off.\n",
	}
	if got := CheckConfigMapCredentials(data, nil); len(got) != 0 {
		t.Fatalf("compliant look-alikes flagged:\n  %s", strings.Join(got, "\n  "))
	}
}
