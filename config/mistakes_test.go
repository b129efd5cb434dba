package config

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cloud-codex/components"
)

// A corpus of realistic stack-config mistakes (issues 17, 18 and 21). Each one must be
// refused by Load (main.go calls it before declaring anything), at the key path exactly as
// the user wrote it, with every problem on its own line.

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// agentJSON is a valid agent with extra JSON fields spliced in.
func agentJSON(extra string) string {
	if extra != "" {
		extra = ", " + extra
	}
	return `[{"name": "cody", "registry": {"apiUrl": "https://api.example.com", "podId": "p"}` + extra + `}]`
}

// poolJSON is a valid litellm value with extra JSON fields spliced in.
func poolJSON(extra string) string {
	if extra != "" {
		extra = ", " + extra
	}
	return `{"database": {"inCluster": {}}` + extra + `}`
}

// errorLines loads values and returns the error's lines (nil when it loads).
func errorLines(t *testing.T, values map[string]string) []string {
	t.Helper()
	_, err := Load(values)
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// requireRefused asserts that exactly the given key paths are reported, one line each, and
// that each line contains its wanted text.
func requireRefused(t *testing.T, lines []string, want map[string]string) {
	t.Helper()
	require.NotEmpty(t, lines, "the mistake must be refused")
	for path, text := range want {
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "config "+path+": ") })
		require.GreaterOrEqual(t, i, 0, "want an error at %s in:\n%s", path, strings.Join(lines, "\n"))
		require.Contains(t, lines[i], text)
	}
	require.Len(t, lines, len(want), "one line per mistake, nothing else:\n%s", strings.Join(lines, "\n"))
}

func TestConfigMistakesAreRefusedAtTheUsersKeyPath(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		want             map[string]string
	}{
		// Unpinned references, refused the same way everywhere.
		{"agent image latest", "cloud-codex:agents", agentJSON(`"image": "node:latest"`),
			map[string]string{"cloud-codex:agents[0].image": "moving tag"}},
		{"agent image without a tag", "cloud-codex:agents", agentJSON(`"image": "node"`),
			map[string]string{"cloud-codex:agents[0].image": "pin the image"}},
		{"agent image not a reference", "cloud-codex:agents", agentJSON(`"image": "Node:22"`),
			map[string]string{"cloud-codex:agents[0].image": "InvalidImageName"}},
		{"pool image latest", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:latest"`),
			map[string]string{"cloud-codex:litellm.image": "moving tag"}},
		{"pool image main-latest", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:main-latest"`),
			map[string]string{"cloud-codex:litellm.image": "moving tag"}},
		// Channels are moving tags too (no version, a channel or only a base-image variant).
		{"agent image node:lts", "cloud-codex:agents", agentJSON(`"image": "node:lts"`),
			map[string]string{"cloud-codex:agents[0].image": `moving tag (it names the channel "lts"`}},
		{"agent image node:current", "cloud-codex:agents", agentJSON(`"image": "node:current"`),
			map[string]string{"cloud-codex:agents[0].image": `the channel "current"`}},
		{"agent image node:stable", "cloud-codex:agents", agentJSON(`"image": "node:stable"`),
			map[string]string{"cloud-codex:agents[0].image": `the channel "stable"`}},
		{"agent image node:edge", "cloud-codex:agents", agentJSON(`"image": "node:edge"`),
			map[string]string{"cloud-codex:agents[0].image": `the channel "edge"`}},
		{"agent image node:nightly", "cloud-codex:agents", agentJSON(`"image": "node:nightly"`),
			map[string]string{"cloud-codex:agents[0].image": `the channel "nightly"`}},
		{"agent image node:alpine", "cloud-codex:agents", agentJSON(`"image": "node:alpine"`),
			map[string]string{"cloud-codex:agents[0].image": "only a base-image variant"}},
		{"agent image node:lts-slim", "cloud-codex:agents", agentJSON(`"image": "node:lts-slim"`),
			map[string]string{"cloud-codex:agents[0].image": `the channel "lts"`}},
		{"agent image node:current-alpine", "cloud-codex:agents", agentJSON(`"image": "node:current-alpine"`),
			map[string]string{"cloud-codex:agents[0].image": `the channel "current"`}},
		{"pool image main-stable", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:main-stable"`),
			map[string]string{"cloud-codex:litellm.image": `the channel "main"`}},
		{"pool image main", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:main"`),
			map[string]string{"cloud-codex:litellm.image": `the channel "main"`}},
		{"pool image stable release branch", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm:litellm_stable_release_branch"`),
			map[string]string{"cloud-codex:litellm.image": `the channel "stable"`}},
		{"runner install image lts", "cloud-codex:agents",
			agentJSON(`"runner": {"git": {"url": "https://example.com/r.git", "ref": "` + testSHA + `", "image": "node:lts-bookworm"}}`),
			map[string]string{"cloud-codex:agents[0].runner.git.image": `the channel "lts"`}},
		{"digest the runtime cannot verify", "cloud-codex:agents", agentJSON(`"image": "node@sha384:` + strings.Repeat("ab", 48) + `"`),
			map[string]string{"cloud-codex:agents[0].image": "@sha512:<128>"}},
		{"short digest", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm@sha256:0123456789abcdef0123456789abcdef"`),
			map[string]string{"cloud-codex:litellm.image": "InvalidImageName"}},
		{"local build tagged latest", "cloud-codex:litellm", poolJSON(`"image": "cloud-codex.local/litellm-standin:latest"`),
			map[string]string{"cloud-codex:litellm.image": "moving tag"}},
		{"codex version latest", "cloud-codex:agents", agentJSON(`"codex": {"version": "latest"}`),
			map[string]string{"cloud-codex:agents[0].codex.version": "exact version"}},
		{"codex version range", "cloud-codex:agents", agentJSON(`"codex": {"version": "^0.171.0"}`),
			map[string]string{"cloud-codex:agents[0].codex.version": "no ranges"}},
		{"codex version partial", "cloud-codex:agents", agentJSON(`"codex": {"version": "0.171"}`),
			map[string]string{"cloud-codex:agents[0].codex.version": "exact version"}},
		{"pool codex version latest", "cloud-codex:litellm", poolJSON(`"codexVersion": "latest"`),
			map[string]string{"cloud-codex:litellm.codexVersion": "exact version"}},

		// Names the API server or the runtime would refuse later.
		{"env name starting with a digit", "cloud-codex:agents", agentJSON(`"env": {"1FOO": "x"}`),
			map[string]string{"cloud-codex:agents[0].env.1FOO": "environment variable name"}},
		{"env name with a space", "cloud-codex:agents", agentJSON(`"env": {"MY VAR": "x"}`),
			map[string]string{`cloud-codex:agents[0].env["MY VAR"]`: "environment variable name"}},
		{"MCP secretEnv name", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"github": {"command": "gh-mcp", "secretEnv": {"GH=TOKEN": {"name": "gh", "key": "token"}}}}}`),
			map[string]string{`cloud-codex:agents[0].codex.mcpServers.github.secretEnv.GH=TOKEN`: "environment variable name"}},
		{"MCP secret name and key", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"github": {"command": "gh-mcp", "secretEnv": {"GH_TOKEN": {"name": "GitHub_Token", "key": "a/b"}}}}}`),
			map[string]string{
				"cloud-codex:agents[0].codex.mcpServers.github.secretEnv.GH_TOKEN.name": "Secret name",
				"cloud-codex:agents[0].codex.mcpServers.github.secretEnv.GH_TOKEN.key":  "Secret key",
			}},
		{"MCP secret without a key", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"github": {"command": "gh-mcp", "secretEnv": {"GH_TOKEN": {"name": "gh"}}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.github.secretEnv.GH_TOKEN.key": "required"}},
		{"token Secret name", "cloud-codex:agents", agentJSON(`"registry": {"apiUrl": "https://x", "podId": "p", "tokenSecret": {"name": "Cody_Token"}}`),
			map[string]string{"cloud-codex:agents[0].registry.tokenSecret.name": "Secret name"}},
		{"key Secret name", "cloud-codex:agents", agentJSON(`"litellm": {"manageKey": false, "keySecret": {"name": "my key", "key": "key"}}`),
			map[string]string{"cloud-codex:agents[0].litellm.keySecret.name": "Secret name"}},
		{"agent StorageClass", "cloud-codex:agents", agentJSON(`"storage": {"storageClass": "Fast_SSD"}`),
			map[string]string{"cloud-codex:agents[0].storage.storageClass": "StorageClass name"}},

		// MCP server ids codex skips (it starts no server whose id it does not accept).
		{"MCP server id with a dot", "cloud-codex:agents", agentJSON(`"codex": {"mcpServers": {"my.server": {"command": "x"}}}`),
			map[string]string{`cloud-codex:agents[0].codex.mcpServers["my.server"]`: `must be an MCP server id codex starts: letters, digits, '_' and '-' (^[a-zA-Z0-9_-]+$), e.g. "my_server"`}},
		{"MCP server id with a space", "cloud-codex:agents", agentJSON(`"codex": {"mcpServers": {"my server": {"command": "x"}}}`),
			map[string]string{`cloud-codex:agents[0].codex.mcpServers["my server"]`: "codex skips a server whose id it does not accept"}},
		{"MCP server id named like its npm package", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"@modelcontextprotocol/server-github": {"command": "npx"}}}`),
			map[string]string{`cloud-codex:agents[0].codex.mcpServers.@modelcontextprotocol/server-github`: `e.g. "_modelcontextprotocol_server-github"`}},
		{"MCP server id not ASCII", "cloud-codex:agents", agentJSON(`"codex": {"mcpServers": {"bücher": {"command": "x"}}}`),
			map[string]string{`cloud-codex:agents[0].codex.mcpServers.bücher`: `e.g. "b_cher"`}},

		// Values the API server refuses after the objects before them were created.
		{"empty or negative volumes", "cloud-codex:agents", agentJSON(`"storage": {"size": "0"}`),
			map[string]string{"cloud-codex:agents[0].storage.size": "above zero"}},
		{"negative pool volumes", "cloud-codex:litellm", `{"authStorage": {"size": "-1Gi"}, "database": {"inCluster": {"storageSize": "0Gi"}}}`,
			map[string]string{"cloud-codex:litellm.authStorage.size": "above zero", "cloud-codex:litellm.database.inCluster.storageSize": "above zero"}},
		{"agent requests above limits, negative cpu", "cloud-codex:agents",
			agentJSON(`"resources": {"requests": {"memory": "4Gi", "cpu": "-1"}, "limits": {"memory": "2Gi"}}`),
			map[string]string{
				"cloud-codex:agents[0].resources.requests.memory": "must not exceed the memory limit 2Gi",
				"cloud-codex:agents[0].resources.requests.cpu":    "must not be negative",
			}},
		{"memory in milli-bytes", "cloud-codex:agents", agentJSON(`"resources": {"requests": {"memory": "512m"}}`),
			map[string]string{"cloud-codex:agents[0].resources.requests.memory": `use a binary suffix, e.g. "512Mi"`}},
		{"pool memory in milli-bytes", "cloud-codex:litellm", poolJSON(`"resources": {"limits": {"memory": "2048m"}}`),
			map[string]string{"cloud-codex:litellm.resources.limits.memory": `e.g. "2048Mi"`}},
		{"pool name starting with a digit", "cloud-codex:litellm", poolJSON(`"name": "1litellm"`),
			map[string]string{"cloud-codex:litellm.name": "it names a Service, and a Service name is a DNS-1035 label"}},
		{"placement the API server refuses", "cloud-codex:agents",
			agentJSON(`"placement": {"tolerations": [{"key": "pool", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 60}, {"key": "pool", "value": "dev pool"}],
				"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {"matchLabels": {"app": "x"}}}]},
					"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 0, "preference": {"matchExpressions": [{"key": "pool", "operator": "Equals", "values": ["dev"]}]}}]}}}`),
			map[string]string{
				"cloud-codex:agents[0].placement.tolerations[0].effect":                                                                                            `must be "NoExecute" when tolerationSeconds is set`,
				"cloud-codex:agents[0].placement.tolerations[1].value":                                                                                             "must be a label value",
				"cloud-codex:agents[0].placement.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey":                           "can not be empty",
				"cloud-codex:agents[0].placement.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight":                                  "1-100",
				"cloud-codex:agents[0].placement.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator": `supported values: "In"`,
			}},
		{"pool placement the API server refuses", "cloud-codex:litellm",
			poolJSON(`"placement": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "cpus", "operator": "Gt", "values": ["four"]}]}]}}}}`),
			map[string]string{"cloud-codex:litellm.placement.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]": "must be an integer"}},
		{"Kubernetes' own namespace", "cloud-codex:namespace", "kube-system",
			map[string]string{"cloud-codex:namespace": "Kubernetes' own namespaces"}},
		{"the default namespace", "cloud-codex:namespace", "default",
			map[string]string{"cloud-codex:namespace": "Kubernetes' own namespaces"}},
		{"egress that opens the cloud metadata endpoint", "cloud-codex:egress",
			`{"allow": [{"cidr": "0.0.0.0/0"}, {"cidr": "169.254.169.254/32", "ports": [80]}]}`,
			map[string]string{
				"cloud-codex:egress.allow[0].except": `add "169.254.169.254/32" to except`,
				"cloud-codex:egress.allow[1].cidr":   "remove this rule",
			}},
		{"egress that opens the IPv6 metadata endpoints", "cloud-codex:egress",
			`{"allow": [{"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}, {"cidr": "::/0"}, {"cidr": "fd00:ec2::254/128", "ports": [80]}]}`,
			map[string]string{
				"cloud-codex:egress.allow[1].except": `add "fd00:ec2::254/128", "fd20:ce::254/128" and "fe80::a9fe:a9fe/128" to except`,
				"cloud-codex:egress.allow[2].cidr":   "remove this rule",
			}},
		{"codex pinned twice, a package listed twice, an empty runner command", "cloud-codex:agents",
			agentJSON(`"runner": {"command": [""], "packages": ["@openai/codex@0.100.0", "left-pad@1.3.0", "left-pad@1.3.1"]}`),
			map[string]string{
				"cloud-codex:agents[0].runner.command[0]":  "must name the program",
				"cloud-codex:agents[0].runner.packages[0]": "set codex.version instead",
				"cloud-codex:agents[0].runner.packages[2]": "listed twice (also runner.packages[1])",
			}},
		// runner.packages: a package name and an exact version, one package per entry.
		{"two packages in one entry, a range, a bad name", "cloud-codex:agents",
			agentJSON(`"runner": {"packages": ["typescript tsx@4.19.2", "left-pad@~1.3.0", "_x@1.0.0"]}`),
			map[string]string{
				"cloud-codex:agents[0].runner.packages[0]": "list each package as its own item",
				"cloud-codex:agents[0].runner.packages[1]": "one exact version",
				"cloud-codex:agents[0].runner.packages[2]": "not an npm package name",
			}},
		// A program and its arguments in one string: every command runs without a shell.
		{"commands in one string", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"github": {"command": "npx -y @modelcontextprotocol/server-github"}}},
				"runner": {"command": ["commonly agent run cody"],
					"git": {"url": "https://github.com/team/runner.git", "ref": "0123456789abcdef0123456789abcdef01234567", "install": ["npm ci --omit=dev"]}}`),
			map[string]string{
				"cloud-codex:agents[0].codex.mcpServers.github.command": `command: "npx", args: ["-y", "@modelcontextprotocol/server-github"]`,
				"cloud-codex:agents[0].runner.command[0]":               `runner.command: ["commonly", "agent", "run", "cody"]`,
				"cloud-codex:agents[0].runner.git.install[0]":           `runner.git.install: ["npm", "ci", "--omit=dev"]`,
			}},
		{"runner.git.path out of the repository", "cloud-codex:agents",
			agentJSON(`"runner": {"git": {"url": "https://github.com/team/runner.git", "ref": "0123456789abcdef0123456789abcdef01234567", "path": "cli/../../x"}}`),
			map[string]string{"cloud-codex:agents[0].runner.git.path": "climb out"}},
		// Credentials through side doors.
		{"key in MCP args", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"docs": {"command": "docs-mcp", "args": ["--stdio", "--api-key=sk-abcdefghijklmnopqrstuvwx"]}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.docs.args[1]": "looks like a key"}},
		{"token in the runner command", "cloud-codex:agents",
			agentJSON(`"runner": {"command": ["commonly", "agent", "run", "--token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"]}`),
			map[string]string{"cloud-codex:agents[0].runner.command[4]": "looks like a key"}},
		{"a token in the platform URL's user position", "cloud-codex:agents", `[{"name": "cody", "registry": {"apiUrl": "https://tok3n@api.example.com", "podId": "p"}}]`,
			map[string]string{"cloud-codex:agents[0].registry.apiUrl": `"https://xxxxx@api.example.com"`}},
		{"a token in a provider's apiBase", "cloud-codex:litellm", poolJSON(`"models": [{"alias": "codex-cli/gpt-5.4", "upstream": "chatgpt/gpt-5.4"},
			{"alias": "gpt-4.1", "upstream": "openai/gpt-4.1", "apiBase": "https://sk-abcdefghijklmnopqrstuvwx@llm.example.com/v1"}]`),
			map[string]string{"cloud-codex:litellm.models[1].apiBase": `"https://xxxxx@llm.example.com/v1"`}},
		{"credentials in the platform URL", "cloud-codex:agents", `[{"name": "cody", "registry": {"apiUrl": "https://bot:s3cret@api.example.com", "podId": "p"}}]`,
			map[string]string{"cloud-codex:agents[0].registry.apiUrl": "must not carry credentials"}},
		{"OpenAI key literal in MCP env", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"docs": {"command": "docs-mcp", "env": {"OPENAI_API_KEY": "sk-proj-abc"}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.docs.env.OPENAI_API_KEY": "ChatGPT/OpenAI credential"}},
		{"OpenAI credentials under other spellings, from Secrets too", "cloud-codex:agents",
			agentJSON(`"env": {"CODEX_TOKEN": "x"},
				"codex": {"mcpServers": {"embed": {"command": "embed-mcp", "secretEnv": {"OPENAI_KEY": {"name": "embed", "key": "key"},
					"AZURE_OPENAI_API_KEY": {"name": "azure", "key": "key"}, "openaiApiKey": {"name": "embed", "key": "key2"}}}}}`),
			map[string]string{
				"cloud-codex:agents[0].env.CODEX_TOKEN":                                       "ChatGPT/OpenAI credential",
				"cloud-codex:agents[0].codex.mcpServers.embed.secretEnv.OPENAI_KEY":           "ChatGPT/OpenAI credential",
				"cloud-codex:agents[0].codex.mcpServers.embed.secretEnv.AZURE_OPENAI_API_KEY": "ChatGPT/OpenAI credential",
				"cloud-codex:agents[0].codex.mcpServers.embed.secretEnv.openaiApiKey":         "ChatGPT/OpenAI credential",
			}},
		{"credential-named literal in MCP env", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"github": {"command": "gh-mcp", "env": {"GITHUB_TOKEN": "x"}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.github.env.GITHUB_TOKEN": "secretEnv"}},
		{"secret-named literal in MCP env", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"db": {"command": "db-mcp", "env": {"DB_PASSWORD": "hunter2", "clientSecret": "x", "CLIENT_SECRET_FILE": "/run/secrets/db"}}}}`),
			map[string]string{
				"cloud-codex:agents[0].codex.mcpServers.db.env.DB_PASSWORD":  "secretEnv",
				"cloud-codex:agents[0].codex.mcpServers.db.env.clientSecret": "secretEnv",
			}},
		{"sk- value under an innocent name", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"docs": {"command": "docs-mcp", "env": {"UPSTREAM": "sk-abcdefghijklmnopqrstuvwx"}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.docs.env.UPSTREAM": "looks like a key"}},
		{"ChatGPT token literal in agent env", "cloud-codex:agents", agentJSON(`"env": {"CHATGPT_ACCESS_TOKEN": "eyJhbGciOi.eyJzdWIiOiIx.sig"}`),
			map[string]string{"cloud-codex:agents[0].env.CHATGPT_ACCESS_TOKEN": "ChatGPT/OpenAI credential"}},
		// G4 (b): a last KEY, a last PASS, AUTHORIZATION are credential names.
		{"key, password and authorization names in MCP env", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"tools": {"command": "x", "env": {"OPENAI_KEY": "abcdefgh12345678", "GEMINI_KEY": "AIzaSyA1b2C3d4e5A1b2C3d4e5A1b2C3d4e5abc",
				"DB_PASS": "hunter2", "SSH_KEY": "k", "AUTHORIZATION": "Bearer abc", "geminiKey": "k", "openai.key": "k"}}}}`),
			map[string]string{
				"cloud-codex:agents[0].codex.mcpServers.tools.env.OPENAI_KEY":    "ChatGPT/OpenAI credential",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.GEMINI_KEY":    "secretEnv",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.DB_PASS":       "secretEnv",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.SSH_KEY":       "secretEnv",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.AUTHORIZATION": "secretEnv",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.geminiKey":     "secretEnv",
				`cloud-codex:agents[0].codex.mcpServers.tools.env["openai.key"]`: "ChatGPT/OpenAI credential",
			}},
		{"key and password names in the agent's env", "cloud-codex:agents", agentJSON(`"env": {"STRIPE_KEY": "k", "SMTP_PASS": "p"}`),
			map[string]string{
				"cloud-codex:agents[0].env.STRIPE_KEY": "the name says credential",
				"cloud-codex:agents[0].env.SMTP_PASS":  "the name says credential",
			}},
		// G4 (c): well-known shapes under names that say nothing.
		{"credential shapes under innocent names in MCP env", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"tools": {"command": "x", "env": {"STRIPE": "sk_live_a1B2a1B2a1B2a1B2a1B2a1B2",
				"GOOGLE": "AIzaSyA1b2C3d4e5A1b2C3d4e5A1b2C3d4e5abc", "HEADERS": "Authorization: Bearer abcdefgh12345678",
				"IDENTITY": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
				"UPSTREAM": "glpat-ab12ab12ab12ab12ab12", "AWS": "ASIA0123456789ABCDEF"}}}}`),
			map[string]string{
				"cloud-codex:agents[0].codex.mcpServers.tools.env.STRIPE":   "(a Stripe key)",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.GOOGLE":   "(a Google API key)",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.HEADERS":  "(a Bearer token)",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.IDENTITY": "(a PEM private key)",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.UPSTREAM": "(a GitLab token)",
				"cloud-codex:agents[0].codex.mcpServers.tools.env.AWS":      "(an AWS access key id)",
			}},
		// G4 (a): a URL's password, whatever the name and wherever the value goes.
		{"URL passwords in env, MCP env, MCP args, runner command and install", "cloud-codex:agents",
			agentJSON(`"env": {"DATABASE_URL": "postgres://u:hunter2@db/x"},
				"codex": {"mcpServers": {"db": {"command": "x", "args": ["--db", "mysql://root:hunter2@db:3306/x"], "env": {"MONGO_URI": "mongodb://u:hunter2@db/x"}}}},
				"runner": {"command": ["sh", "-c", "git clone https://x-access-token:abc123@git.example/r.git"],
					"git": {"url": "https://github.com/team/runner.git", "ref": "0123456789abcdef0123456789abcdef01234567", "install": ["npm", "ci", "--registry=https://u:hunter2@npm.example/"]}}`),
			map[string]string{
				"cloud-codex:agents[0].env.DATABASE_URL":                  "(a URL with a password)",
				"cloud-codex:agents[0].codex.mcpServers.db.env.MONGO_URI": "(a URL with a password)",
				"cloud-codex:agents[0].codex.mcpServers.db.args[1]":       "(a URL with a password)",
				"cloud-codex:agents[0].runner.command[2]":                 "(a URL with a password)",
				"cloud-codex:agents[0].runner.git.install[2]":             "(a URL with a password)",
			}},
		{"MCP secretEnv shadows the agent's LiteLLM key", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"x": {"command": "x", "secretEnv": {"LITELLM_API_KEY": {"name": "other", "key": "k"}}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.x.secretEnv.LITELLM_API_KEY": "set by the component"}},
		{"MCP env sets CODEX_HOME", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"x": {"command": "x", "env": {"CODEX_HOME": "/tmp"}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.x.env.CODEX_HOME": "set by the component"}},
		{"env names the boot step reads", "cloud-codex:agents",
			agentJSON(`"env": {"PATH": "/opt/tools/bin:$PATH", "CLOUD_CODEX_CONFIG_DIR": "/state/my-config", "CLOUD_CODEX_SCRIPTS_DIR": "/tmp", "RUNNER_DIR": "/state/r"}`),
			map[string]string{
				"cloud-codex:agents[0].env.PATH":                    "runner.packages",
				"cloud-codex:agents[0].env.CLOUD_CODEX_CONFIG_DIR":  "read by the agent pod's boot and install scripts",
				"cloud-codex:agents[0].env.CLOUD_CODEX_SCRIPTS_DIR": "read by the agent pod's boot and install scripts",
				"cloud-codex:agents[0].env.RUNNER_DIR":              "read by the agent pod's boot and install scripts",
			}},
		{"agent env overrides the identity", "cloud-codex:agents", agentJSON(`"env": {"COMMONLY_INSTANCE_ID": "someone-else"}`),
			map[string]string{"cloud-codex:agents[0].env.COMMONLY_INSTANCE_ID": "set by the component"}},
		{"MCP secretEnv reads the master key", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"admin": {"command": "x", "secretEnv": {"ADMIN": {"name": "litellm-master-key", "key": "key"}}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.admin.secretEnv.ADMIN.name": "master key"}},
		{"token Secret is the salt key", "cloud-codex:agents", agentJSON(`"registry": {"apiUrl": "https://x", "podId": "p", "tokenSecret": {"name": "litellm-salt-key"}}`),
			map[string]string{"cloud-codex:agents[0].registry.tokenSecret.name": "salt key"}},
		{"operator key Secret is the database URL", "cloud-codex:agents",
			agentJSON(`"litellm": {"manageKey": false, "keySecret": {"name": "litellm-database-url", "key": "DATABASE_URL"}}`),
			map[string]string{"cloud-codex:agents[0].litellm.keySecret.name": "database URL"}},
		{"two MCP servers, one env name, two Secrets", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"a": {"command": "a", "secretEnv": {"GH_TOKEN": {"name": "gh-a", "key": "t"}}},
				"b": {"command": "b", "secretEnv": {"GH_TOKEN": {"name": "gh-b", "key": "t"}}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.b.secretEnv.GH_TOKEN": "different names"}},
		{"MCP secretEnv name also in the agent's env", "cloud-codex:agents",
			agentJSON(`"env": {"GH_HOST": "github.example"}, "codex": {"mcpServers": {"a": {"command": "a", "secretEnv": {"GH_HOST": {"name": "gh", "key": "h"}}}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.a.secretEnv.GH_HOST": "env.GH_HOST"}},

		// Key paths in the user's spelling.
		{"map keys are not re-cased", "cloud-codex:agents", agentJSON(`"env": {"CODEX_HOME": "/x"}`),
			map[string]string{"cloud-codex:agents[0].env.CODEX_HOME": "set by the component"}},
		{"MCP server id is not re-cased", "cloud-codex:agents", agentJSON(`"codex": {"mcpServers": {"GitHub": {}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.GitHub.command": "command"}},
		{"type error inside a map names the entry", "cloud-codex:agents", agentJSON(`"env": {"FOO": 1, "BAR": "ok"}`),
			map[string]string{"cloud-codex:agents[0].env.FOO": "expected string, got number"}},
		{"type error inside an MCP entry", "cloud-codex:agents", agentJSON(`"codex": {"mcpServers": {"GitHub": {"command": "x", "args": "--stdio"}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.GitHub.args": "expected a list, got string"}},
		{"type error under a dotted key", "cloud-codex:agents", agentJSON(`"env": {"a.b": true}`),
			map[string]string{`cloud-codex:agents[0].env["a.b"]`: "expected string, got bool"}},
		{"unknown key inside a map entry", "cloud-codex:agents", agentJSON(`"codex": {"mcpServers": {"GitHub": {"comand": "x"}}}`),
			map[string]string{"cloud-codex:agents[0].codex.mcpServers.GitHub.comand": `did you mean "command"?`}},
		{"a number for a list index key", "cloud-codex:agents", agentJSON(`"env": {"1": 2}`),
			map[string]string{"cloud-codex:agents[0].env.1": "expected string, got number"}},
		{"fractional replicas", "cloud-codex:agents", agentJSON(`"replicas": 0.5`),
			map[string]string{"cloud-codex:agents[0].replicas": "expected int, got 0.5"}},

		// The LiteLLM release must return the responses path's output (v1.88.0; the chatgpt/
		// provider itself is v1.81.3).
		{"LiteLLM older than the chatgpt provider", "cloud-codex:litellm",
			poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:main-v1.81.0-stable"`),
			map[string]string{"cloud-codex:litellm.image": "older than v1.88.0"}},
		{"LiteLLM v1.80", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm:v1.80.15"`),
			map[string]string{"cloud-codex:litellm.image": "responses path"}},
		{"LiteLLM two-part tag", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm:v1.80"`),
			map[string]string{"cloud-codex:litellm.image": "names LiteLLM v1.80.0"}},
		{"LiteLLM with the provider but not the Responses fix", "cloud-codex:litellm",
			poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:v1.83.7-stable"`),
			map[string]string{"cloud-codex:litellm.image": "'ResponsesAPIResponse' object has no attribute 'output'"}},
		{"LiteLLM at the provider's first release", "cloud-codex:litellm",
			poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:v1.81.3"`),
			map[string]string{"cloud-codex:litellm.image": "use " + components.DefaultLiteLLMImage}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			values := devConfig()
			values[tc.key] = tc.value
			requireRefused(t, errorLines(t, values), tc.want)
		})
	}
}

func TestConfigThatLooksLikeAMistakeButIsNotLoads(t *testing.T) {
	for _, tc := range []struct{ name, key, value string }{
		{"agent image by digest", "cloud-codex:agents", agentJSON(`"image": "node@` + testDigest + `"`)},
		{"agent image tag and digest", "cloud-codex:agents", agentJSON(`"image": "registry.example:5000/team/node:22@` + testDigest + `"`)},
		{"pool image by digest", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm-non_root@` + testDigest + `"`)},
		{"LiteLLM custom tag without a version", "cloud-codex:litellm", poolJSON(`"image": "registry.example/litellm:our-build"`)},
		{"LiteLLM versioned stable tag", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:main-v1.88.2-stable"`)},
		{"LiteLLM stand-in (a local build)", "cloud-codex:litellm", poolJSON(`"image": "cloud-codex.local/litellm-standin:dev"`)},
		{"agent image major and distro", "cloud-codex:agents", agentJSON(`"image": "node:22-bookworm"`)},
		{"branch plus short commit", "cloud-codex:agents", agentJSON(`"image": "ghcr.io/acme/runner:main-a1b2c3d"`)},
		{"sha512 digest", "cloud-codex:agents", agentJSON(`"image": "node@sha512:` + strings.Repeat("ab", 64) + `"`)},
		{"agent image version and variant", "cloud-codex:agents", agentJSON(`"image": "node:22.12.0-alpine3.20"`)},
		{"LiteLLM at the responses path's first good release", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:v1.88.0"`)},
		{"LiteLLM release candidate", "cloud-codex:litellm", poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:v1.88.0-rc.1"`)},
		{"codex prerelease version", "cloud-codex:agents", agentJSON(`"codex": {"version": "0.172.0-alpha.1"}`)},
		{"MCP secrets by reference", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"GitHub": {"command": "gh-mcp", "env": {"GITHUB_HOST": "github.example", "TOKENIZERS_PARALLELISM": "false"},
				"secretEnv": {"GITHUB_TOKEN": {"name": "github-pat", "key": "token"}}}}}`)},
		// G4 look-alikes: names with the words that hold no credential, URLs without a
		// password or with one the pod expands from a Secret, publishable and public keys.
		{"credential look-alikes in env and MCP env", "cloud-codex:agents",
			agentJSON(`"env": {"SSH_KNOWN_HOSTS": "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
				"PRIMARY_KEY_COLUMN": "id", "KEYBOARD": "us", "MONKEY": "patch", "PASSTHROUGH": "all", "COMPASS_URL": "https://compass.example",
				"KEY_ID": "k-2024", "SSH_PUBLIC_KEY": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
				"STRIPE_PUBLISHABLE_KEY": "pk_live_abcdefghijklmnop", "DATABASE_URL": "postgres://u@db/x"},
				"codex": {"mcpServers": {"db": {"command": "x", "args": ["--db", "postgres://u:$(DB_PASSWORD)@db/x", "--header", "Authorization: Bearer ${TOKEN}"],
					"env": {"TOKENIZERS_PARALLELISM": "false", "MONGO_URI": "mongodb://db:27017/x", "SORT_KEY": "created_at", "AUTH_MODE": "bearer"},
					"secretEnv": {"DB_PASSWORD": {"name": "db", "key": "password"}, "VOYAGE_KEY": {"name": "embed", "key": "key"}}}}},
				"runner": {"command": ["sh", "-c", "git clone https://git.example/r.git"]}`)},
		{"the internet but the metadata endpoint, and a node-local DNS cache", "cloud-codex:egress",
			`{"allow": [{"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}, {"cidr": "169.254.20.10/32", "ports": [53], "protocol": "UDP"}]}`},
		{"the IPv6 internet but the metadata endpoints", "cloud-codex:egress",
			`{"allow": [{"cidr": "::/0", "except": ["fd00::/8", "fe80::/10"]}, {"cidr": "2000::/3", "ports": [443]}]}`},
		{"one Secret shared by two MCP servers", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"a": {"command": "a", "secretEnv": {"GH_TOKEN": {"name": "gh", "key": "t"}}},
				"b": {"command": "b", "secretEnv": {"GH_TOKEN": {"name": "gh", "key": "t"}}}}}`)},
		{"MCP server ids codex starts", "cloud-codex:agents",
			agentJSON(`"codex": {"mcpServers": {"GitHub": {"command": "a"}, "git_hub-2": {"command": "b"}, "0": {"command": "c"}}}`)},
		{"runner.git.path with a trailing slash or ./", "cloud-codex:agents",
			`[{"name": "cody", "registry": {"apiUrl": "https://x", "podId": "p"},
			   "runner": {"git": {"url": "https://github.com/team/runner.git", "ref": "0123456789abcdef0123456789abcdef01234567", "path": "cli/"}}},
			  {"name": "ada", "registry": {"apiUrl": "https://x", "podId": "p"},
			   "runner": {"git": {"url": "https://github.com/team/runner.git", "ref": "0123456789abcdef0123456789abcdef01234567", "path": "./cli"}}}]`},
		{"agent name starting with a digit (its objects are cloud-codex-<name>)", "cloud-codex:agents",
			`[{"name": "1cody", "registry": {"apiUrl": "https://x", "podId": "p"}}]`},
		{"dotted env name Kubernetes accepts", "cloud-codex:agents", agentJSON(`"env": {"my.setting": "1", "LOG_LEVEL": "debug"}`)},
		{"kubeconfig contents", "cloud-codex:cluster", `{"kubeconfig": "apiVersion: v1\nkind: Config\nclusters: []\n"}`},
		{"render mode without the local cluster", "cloud-codex:cluster", `{"renderTo": "rendered", "kubeconfig": "/not/on/this/machine"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			values := devConfig()
			values[tc.key] = tc.value
			require.Empty(t, errorLines(t, values))
		})
	}
}

func TestClusterSettingsThatPointNowhereAreRefused(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope", "kubeconfig")
	lines := errorLines(t, withCluster(`{"kubeconfig": "`+missing+`"}`))
	requireRefused(t, lines, map[string]string{"cloud-codex:cluster.kubeconfig": `no kubeconfig file at "` + missing + `"`})

	lines = errorLines(t, withCluster(`{"kubeconfig": "`+dir+`"}`))
	requireRefused(t, lines, map[string]string{"cloud-codex:cluster.kubeconfig": "is a directory"})

	t.Chdir(dir)
	lines = errorLines(t, withCluster(`{"kubeconfig": "kube/config"}`))
	requireRefused(t, lines, map[string]string{"cloud-codex:cluster.kubeconfig": filepath.Join(dir, "kube", "config")})
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "kube"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kube", "config"), []byte("apiVersion: v1\nkind: Config\n"), 0o600))
	require.Empty(t, errorLines(t, withCluster(`{"kubeconfig": "kube/config"}`)), "a relative path is read from the project directory")

	t.Setenv("HOME", dir)
	require.Empty(t, errorLines(t, withCluster(`{"kubeconfig": "~/kube/config"}`)), "~/ is expanded, as the provider does")

	lines = errorLines(t, withCluster(`{"local": true, "renderTo": "rendered"}`))
	requireRefused(t, lines, map[string]string{"cloud-codex:cluster.renderTo": "drop cluster.local"})

	// The embedded cluster and a kubeconfig: the kubeconfig would win without a word.
	lines = errorLines(t, withCluster(`{"local": true, "kubeconfig": "kube/config"}`))
	requireRefused(t, lines, map[string]string{"cloud-codex:cluster": `cluster.kubeconfig names another one ("kube/config")`})
	require.Contains(t, lines[0], "drop cluster.local to deploy to the kubeconfig's cluster, or drop cluster.kubeconfig")
	lines = errorLines(t, withCluster(`{"local": true, "kubeconfig": "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: s3cret}}]\n"}`))
	requireRefused(t, lines, map[string]string{"cloud-codex:cluster": "names another one (the kubeconfig's contents)"})
	require.NotContains(t, lines[0], "s3cret", "a kubeconfig's contents are never echoed")
}

// cluster.local with $KUBECONFIG exported is allowed (README: `make up` then deploys there)
// but warned about at program start, naming both clusters, in the terms of scripts/pulumi.sh.
func TestLocalClusterWithKubeconfigEnvWarns(t *testing.T) {
	s, err := Load(devConfig())
	require.NoError(t, err)
	t.Setenv("KUBECONFIG", "")
	require.Empty(t, s.KubeconfigEnvWarning())

	t.Setenv("KUBECONFIG", "/home/me/.kube/prod")
	w := s.KubeconfigEnvWarning()
	for _, want := range []string{"cluster.local is true", "$KUBECONFIG is set (/home/me/.kube/prod)", LocalKubeconfig(),
		"scripts/pulumi.sh did not start the embedded cluster", "skipAwait defaults to false", "env -u KUBECONFIG make up", "drop cluster.local"} {
		require.Contains(t, w, want)
	}
	require.False(t, s.UsesLocalCluster(), "the warning says what happens: $KUBECONFIG wins")

	t.Setenv("KUBECONFIG", LocalKubeconfig())
	require.Contains(t, s.KubeconfigEnvWarning(), "is the embedded cluster's own kubeconfig, but it still counts as another cluster")

	t.Setenv("KUBECONFIG", "/home/me/.kube/prod")
	s, err = Load(withCluster(`{}`))
	require.NoError(t, err)
	require.Empty(t, s.KubeconfigEnvWarning(), "a stack without cluster.local uses $KUBECONFIG as a matter of course")
}

func withCluster(cluster string) map[string]string {
	values := devConfig()
	values["cloud-codex:cluster"] = cluster
	return values
}

func TestEveryMistakeIsReportedAtOnce(t *testing.T) {
	values := devConfig()
	values["cloud-codex:cluster"] = `{"local": true, "renderTo": "out", "podSecurity": {"enforce": "strict"}}`
	values["cloud-codex:litellm"] = poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:latest", "rotationInterval": "5m"`)
	values["cloud-codex:agents"] = `[
		{"name": "cody", "image": "node", "codex": {"version": "latest"}, "env": {"CODEX_HOME": "/x"},
		 "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "ada", "replicas": 2, "codex": {"mcpServers": {"GitHub": {"env": {"OPENAI_API_KEY": "sk-x"}}}},
		 "registry": {"apiUrl": "https://x", "podId": "p"}}]`
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:cluster.podSecurity.enforce":                          "strict",
		"cloud-codex:cluster.renderTo":                                     "drop cluster.local",
		"cloud-codex:litellm.image":                                        "moving tag",
		"cloud-codex:litellm.rotationInterval":                             "30m",
		"cloud-codex:agents[0].image":                                      "pin the image",
		"cloud-codex:agents[0].codex.version":                              "exact version",
		"cloud-codex:agents[0].env.CODEX_HOME":                             "set by the component",
		"cloud-codex:agents[1].replicas":                                   "ReadWriteOnce",
		"cloud-codex:agents[1].codex.mcpServers.GitHub.command":            "command",
		"cloud-codex:agents[1].codex.mcpServers.GitHub.env.OPENAI_API_KEY": "ChatGPT/OpenAI credential",
	})
}

// An unknown key or a wrong type hides nothing unrelated: every top-level key and every
// agent whose own value decodes is still validated.
func TestAShapeMistakeHidesNothingUnrelated(t *testing.T) {
	values := devConfig()
	values["cloud-codex:litellm"] = poolJSON(`"image": "ghcr.io/berriai/litellm-non_root:latest"`)
	values["cloud-codex:agents"] = `[
		{"name": "cody", "imagee": "node:22", "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "ada", "codex": {"version": "latest"}, "registry": {"apiUrl": "https://x", "podId": "p"}}]`
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:agents[0].imagee":        `unknown key; did you mean "image"?`,
		"cloud-codex:litellm.image":           "moving tag",
		"cloud-codex:agents[1].codex.version": "exact version",
	})

	// A wrong type in litellm: the cluster and the agents are still checked, and nothing is
	// reported that only the pool's missing value would cause (an agent's allowlist naming the
	// pool's own alias, which litellm.responsesAlias would have made its model).
	values = devConfig()
	values["cloud-codex:cluster"] = `{"local": true, "podSecurity": {"enforce": "strict"}}`
	values["cloud-codex:litellm"] = poolJSON(`"responsesAlias": "team/gpt", "rotationInterval": 30,
		"models": [{"alias": "team/gpt", "upstream": "chatgpt/gpt-5.4"}]`)
	values["cloud-codex:agents"] = `[
		{"name": "cody", "image": "node:lts", "litellm": {"modelAllowlist": ["team/gpt"]}, "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "ada", "codex": {"mcpServers": {"x": {"command": "x", "secretEnv": {"K": {"name": "cloud-codex-cody-token", "key": "token"}}}}},
		 "registry": {"apiUrl": "https://x", "podId": "p"}}]`
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:litellm.rotationInterval":                      "expected string, got number",
		"cloud-codex:cluster.podSecurity.enforce":                   "strict",
		"cloud-codex:agents[0].image":                               `the channel "lts"`,
		"cloud-codex:agents[1].codex.mcpServers.x.secretEnv.K.name": "agents[0] (cody)'s runtime token",
	})

	// An entry that does not decode is not a name other agents collide with or may not read.
	values = devConfig()
	values["cloud-codex:agents"] = `[
		{"name": "cody", "replicas": "one", "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "cody", "egress": {}, "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "ada", "env": {"1X": "y"}, "registry": {"apiUrl": "https://x", "podId": "p"}}]`
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:agents[0].replicas": "expected int, got string",
		"cloud-codex:agents[1].egress":   "unknown key",
		"cloud-codex:agents[2].env.1X":   "environment variable name",
	})

	// A top-level key that is no list or object at all.
	values = devConfig()
	values["cloud-codex:agents"] = `{"name": "cody"}`
	values["cloud-codex:egress"] = `{"allow": [{"cidr": "10.0.0.1/8"}]}`
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:agents":               "expected a list, got object",
		"cloud-codex:egress.allow[0].cidr": "host bits",
	})
}

func TestEveryShapeMistakeIsReportedAtOnce(t *testing.T) {
	values := devConfig()
	values["cloud-codex:clsuter"] = `{}`
	values["cloud-codex:agents"] = `[{"nmae": "cody", "replicas": "one", "env": {"A": 1, "B": [2]}}]`
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:clsuter":            `did you mean "cluster"?`,
		"cloud-codex:agents[0].nmae":     `did you mean "name"?`,
		"cloud-codex:agents[0].replicas": "expected int, got string",
		"cloud-codex:agents[0].env.A":    "expected string, got number",
		"cloud-codex:agents[0].env.B":    "expected string, got list",
	})
}

// Map keys of the Kubernetes types config embeds keep their spelling too, dots included.
func TestPlacementKeysKeepTheirSpelling(t *testing.T) {
	values := devConfig()
	values["cloud-codex:agents"] = agentJSON(`"placement": {"nodeSelector": {"kubernetes.io/arch": "arm 64", "Pool": "dev"}}`)
	requireRefused(t, errorLines(t, values), map[string]string{
		`cloud-codex:agents[0].placement.nodeSelector["kubernetes.io/arch"]`: "label value",
	})
}

// An agent may not read a provider-path model's key: it would call that provider past
// LiteLLM and its allowlist.
func TestAgentCannotReadAProviderKey(t *testing.T) {
	values := devConfig()
	values["cloud-codex:litellm"] = poolJSON(`"models": [{"alias": "codex-cli/gpt-5.4", "upstream": "chatgpt/gpt-5.4"},
		{"alias": "embed", "upstream": "openai/text-embedding-3-small", "apiKeySecret": {"name": "openai-key", "key": "key"}}]`)
	values["cloud-codex:agents"] = agentJSON(`"codex": {"mcpServers": {"x": {"command": "x", "secretEnv": {"EMBED_KEY": {"name": "openai-key", "key": "key"}}}}}`)
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:agents[0].codex.mcpServers.x.secretEnv.EMBED_KEY.name": `provider key of model "embed"`,
	})
}

// An agent may not read another agent's LiteLLM key or runtime token, defaulted or named.
func TestAgentCannotReadAnotherAgentsSecrets(t *testing.T) {
	values := devConfig()
	values["cloud-codex:agents"] = `[
		{"name": "cody", "registry": {"apiUrl": "https://x", "podId": "p"},
		 "codex": {"mcpServers": {"x": {"command": "x", "secretEnv": {"K": {"name": "cloud-codex-ada-litellm-key", "key": "key"}}}}}},
		{"name": "ada", "registry": {"apiUrl": "https://x", "podId": "p", "tokenSecret": {"name": "shared-token"}}},
		{"name": "bob", "registry": {"apiUrl": "https://x", "podId": "p", "tokenSecret": {"name": "shared-token"}}}]`
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:agents[0].codex.mcpServers.x.secretEnv.K.name": "agents[1] (ada)'s LiteLLM key",
		"cloud-codex:agents[1].registry.tokenSecret.name":           "agents[2] (bob)'s runtime token",
		"cloud-codex:agents[2].registry.tokenSecret.name":           "agents[1] (ada)'s runtime token",
	})
}

// A pool named like an agent's objects would collide with them halfway through up.
func TestPoolNameCollidingWithAnAgentIsRefused(t *testing.T) {
	for _, name := range []string{"cloud-codex-cody", "cloud-codex-agent", "cloud-codex-agent-egress"} {
		values := devConfig()
		values["cloud-codex:litellm"] = poolJSON(`"name": "` + name + `"`)
		requireRefused(t, errorLines(t, values), map[string]string{"cloud-codex:litellm.name": "choose another litellm.name"})
	}
	values := devConfig()
	values["cloud-codex:litellm"] = poolJSON(`"name": "cloud-codex-litellm"`)
	require.Empty(t, errorLines(t, values))
}

// Every image field of the tagged tree goes through the one image check: each key below is
// refused with the same moving tag, and a new image field fails this test until it has a row
// (and is checked).
func TestEveryImageFieldRefusesAMovingTag(t *testing.T) {
	set := map[string]func(image string) (key, value string){
		"agents[].image": func(image string) (string, string) {
			return "cloud-codex:agents", agentJSON(`"image": "` + image + `"`)
		},
		"agents[].runner.git.image": func(image string) (string, string) {
			return "cloud-codex:agents", agentJSON(`"runner": {"git": {"url": "https://example.com/r.git", "ref": "` + testSHA + `", "image": "` + image + `"}}`)
		},
		"litellm.image": func(image string) (string, string) {
			return "cloud-codex:litellm", poolJSON(`"image": "` + image + `"`)
		},
	}
	var nodes []configNode
	walkConfig("", reflect.ValueOf(Stack{}), false, &nodes)
	var imageKeys []string
	for _, n := range nodes {
		last := n.key[strings.LastIndexAny(n.key, ".]")+1:]
		if n.leaf && strings.HasSuffix(strings.ToLower(last), "image") {
			imageKeys = append(imageKeys, n.key)
		}
	}
	require.ElementsMatch(t, slices.Sorted(maps.Keys(set)), imageKeys, "an image field of the tagged tree has no row here")
	for _, key := range imageKeys {
		path := Namespace + ":" + strings.ReplaceAll(key, "[]", "[0]")
		for _, image := range []string{"node:lts", "registry.example/x:main-stable"} {
			values := devConfig()
			k, v := set[key](image)
			values[k] = v
			requireRefused(t, errorLines(t, values), map[string]string{path: "moving tag"})
		}
	}
}

// A refused credential is named by its key path and its kind, never repeated: error lines
// are printed, logged and pasted into issues.
func TestRefusedCredentialsAreNotRepeated(t *testing.T) {
	values := devConfig()
	values["cloud-codex:agents"] = agentJSON(`"env": {"DATABASE_URL": "postgres://u:hunter2@db/x", "OPENAI_KEY": "hunter3"},
		"codex": {"mcpServers": {"x": {"command": "x", "args": ["sk_live_a1B2a1B2a1B2a1B2a1B2a1B2"]}}},
		"runner": {"git": {"url": "https://u:hunter4@git.example/r.git", "ref": "main"}}`)
	lines := errorLines(t, values)
	require.NotEmpty(t, lines)
	all := strings.Join(lines, "\n")
	// A token in the user position, with no password, is masked as well.
	values["cloud-codex:agents"] = agentJSON(`"runner": {"git": {"url": "https://ghp_hunter5hunter5hunter5hunter5hunter5ab@github.com/org/cli.git", "ref": "main"}}`)
	values["cloud-codex:litellm"] = poolJSON(`"upstream": {"chatgptApiBase": "https://hunter6@gateway.example"}`)
	more := errorLines(t, values)
	require.Len(t, more, 3, strings.Join(more, "\n"))
	all += "\n" + strings.Join(more, "\n")
	for _, secret := range []string{"hunter2", "hunter3", "hunter4", "a1B2a1B2", "hunter5", "hunter6"} {
		require.NotContains(t, all, secret)
	}
	require.Contains(t, all, "cloud-codex:agents[0].runner.git.url")
	require.Contains(t, all, "cloud-codex:agents[0].runner.git.ref")
}

// A bad litellm.responsesAlias is the agents' default model too: it is reported once, at the
// pool's key, not again at every agent that did not set its own codex.model; an agent's own
// model is still checked. A pool with no responses-path model names litellm's key, never an
// agent's empty model.
func TestABadPoolAliasIsReportedOnce(t *testing.T) {
	values := devConfig()
	values["cloud-codex:litellm"] = poolJSON(`"responsesAlias": "codex-cli/gpt-5.5"`)
	values["cloud-codex:agents"] = `[
		{"name": "cody", "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "ada", "litellm": {"modelAllowlist": ["codex-cli/gpt-5.4"]}, "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "bob", "codex": {"model": "gpt-4o"}, "registry": {"apiUrl": "https://x", "podId": "p"}}]`
	requireRefused(t, errorLines(t, values), map[string]string{
		"cloud-codex:litellm.responsesAlias": `invalid value "codex-cli/gpt-5.5": must be the alias of a responses-path entry of models`,
		"cloud-codex:agents[2].codex.model":  `model "gpt-4o" is not a responses-path alias`,
	})

	values["cloud-codex:litellm"] = poolJSON(`"models": [{"alias": "gpt-4.1", "upstream": "openai/gpt-4.1"}]`)
	values["cloud-codex:agents"] = `[
		{"name": "cody", "registry": {"apiUrl": "https://x", "podId": "p"}},
		{"name": "ada", "codex": {"model": "gpt-4.1"}, "registry": {"apiUrl": "https://x", "podId": "p"}}]`
	lines := errorLines(t, values)
	requireRefused(t, lines, map[string]string{
		"cloud-codex:litellm.responsesAlias": "models has no responses-path entry",
		"cloud-codex:agents[1].codex.model":  `model "gpt-4.1" is not a responses-path alias of litellm.models (served: none yet, see litellm.responsesAlias)`,
	})
	require.NotContains(t, strings.Join(lines, "\n"), "litellm default model", "no advice naming a field that is no config key")
}
