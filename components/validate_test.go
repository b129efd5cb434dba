package components

import (
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"cloud-codex/contract"
)

const testImageDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestCheckPinnedImage(t *testing.T) {
	for image, want := range map[string]string{
		"node:22-bookworm-slim":                      "",
		"node@" + testImageDigest:                    "",
		"node:latest@" + testImageDigest:             "", // the digest pins
		"registry.example:5000/team/node:22":         "",
		"ghcr.io/berriai/litellm-non_root:v1.88.2":   "",
		"localhost:5000/litellm:main-v1.88.2-stable": "",
		"node":                            "pin the image",
		"registry.example:5000/team/node": "pin the image",
		"node:latest":                     "moving tag",
		"node:LATEST":                     "moving tag",
		"ghcr.io/berriai/litellm-non_root:main-latest": "moving tag",
		// Channels and bare variants: no version, so they move too.
		"node:lts":            `the channel "lts"`,
		"node:current":        `the channel "current"`,
		"node:stable":         `the channel "stable"`,
		"node:edge":           `the channel "edge"`,
		"node:nightly":        `the channel "nightly"`,
		"node:lts-slim":       `the channel "lts"`,
		"node:current-alpine": `the channel "current"`,
		"node:alpine":         "base-image variant",
		"node:slim-bookworm":  "base-image variant",
		"node:alpine3.20":     "base-image variant",
		"ghcr.io/berriai/litellm-non_root:main-stable":          `the channel "main"`,
		"ghcr.io/berriai/litellm-non_root:main":                 `the channel "main"`,
		"ghcr.io/berriai/litellm:litellm_stable_release_branch": `the channel "stable"`,
		"registry.example/team/tool:dev":                        `the channel "dev"`,
		"registry.example/team/tool:RC":                         `the channel "rc"`,
		// A version makes it a release, whatever else the tag says.
		"node:22-bookworm":                                     "",
		"golang:1.26.8-bookworm":                               "",
		"redis:7-alpine":                                       "",
		"ghcr.io/berriai/litellm:v1.88.0-rc.1":                 "",
		"ghcr.io/berriai/litellm-non_root:main-v1.88.2-stable": "",
		"registry.example/litellm:nightly-20260101":            "",
		// A branch plus a short commit names one build, whatever the commit's first digit.
		"ghcr.io/acme/runner:main-a1b2c3d":        "",
		"ghcr.io/acme/runner:main-0a1b2c3":        "",
		"ghcr.io/acme/runner:sha-deadbeefcafe":    "",
		"ghcr.io/acme/runner:main-abc123":         `the channel "main"`, // 6 digits: no commit
		"ghcr.io/acme/runner:main-latest-a1b2c3d": "moving tag",
		// Says nothing either way (the rule is a deny list).
		"registry.example/litellm:our-build": "",
		// Local builds (no registry) are exempt from the channel rule, not from "latest".
		"cloud-codex.local/litellm-standin:dev":    "",
		"cloud-codex.local/busybox:1.35":           "",
		"cloud-codex.local/litellm-standin:latest": "moving tag",
		"cloud-codex.local/litellm-standin":        "pin the image",
		"registry.example/cloud-codex.local/x:dev": `the channel "dev"`,
		"":                "InvalidImageName",
		"Node:22":         "InvalidImageName",
		"node:22 ":        "InvalidImageName",
		"node@sha256:abc": "InvalidImageName",
		// Digests the runtime verifies (go-digest): sha256 with 64, sha512 with 128 lowercase
		// hex digits; anything else fails the pull.
		"node@sha512:" + strings.Repeat("ab", 64):                            "",
		"node@" + strings.ToUpper(testImageDigest[:7]) + testImageDigest[7:]: "InvalidImageName",
		"node@sha256:" + strings.Repeat("ab", 16):                            "InvalidImageName",
		"node@sha256:" + strings.Repeat("AB", 32):                            "InvalidImageName",
		"node@sha512:" + strings.Repeat("ab", 32):                            "InvalidImageName",
		"node@sha384:" + strings.Repeat("ab", 48):                            "InvalidImageName",
		"node@md5:" + strings.Repeat("ab", 16):                               "InvalidImageName",
		"node@sha256+b64u:" + strings.Repeat("ab", 32):                       "InvalidImageName",
		"https://ghcr.io/berriai/litellm:v1.88.2":                            "InvalidImageName",
		"ghcr.io/berriai/litellm-non_root:" + strings.Repeat("x", 129):       "InvalidImageName",
	} {
		err := CheckPinnedImage("image", image, DefaultAgentImage)
		if want == "" {
			require.NoError(t, err, image)
			continue
		}
		require.ErrorContains(t, err, want, image)
	}
}

// Every image the components run passes the rule their config fields are held to.
func TestDefaultImagesArePinned(t *testing.T) {
	for _, image := range []string{DefaultAgentImage, RunnerGitImage, DefaultLiteLLMImage, GoBuildImage, RotatorRunImage, PostgresImage} {
		require.NoError(t, CheckPinnedImage("image", image, image), image)
	}
}

func TestCheckExactVersion(t *testing.T) {
	for _, ok := range []string{"0.171.0", "1.2.3-alpha.1", "1.2.3+build.5"} {
		require.NoError(t, CheckExactVersion("v", ok, DefaultCodexVersion), ok)
	}
	for _, bad := range []string{"", "latest", "next", "^0.171.0", "~0.171.0", ">=0.171.0", "0.171", "0.171.x", "v0.171.0", " 0.171.0", "0.171.0 || 0.172.0"} {
		require.ErrorContains(t, CheckExactVersion("v", bad, DefaultCodexVersion), "exact version", bad)
	}
}

func TestLiteLLMTagVersion(t *testing.T) {
	for image, want := range map[string][3]int{
		"ghcr.io/berriai/litellm-non_root:main-v1.81.0-stable": {1, 81, 0},
		"ghcr.io/berriai/litellm-non_root:v1.88.2":             {1, 88, 2},
		"ghcr.io/berriai/litellm:v1.88.0-rc.1":                 {1, 88, 0},
		"ghcr.io/berriai/litellm:1.81.3":                       {1, 81, 3},
		"ghcr.io/berriai/litellm:v1.81.3@" + testImageDigest:   {1, 81, 3},
		"ghcr.io/berriai/litellm-non_root:v1.83.7-stable":      {1, 83, 7},
		"ghcr.io/berriai/litellm:v1.80":                        {1, 80, 0},
		"ghcr.io/berriai/litellm:1.88":                         {1, 88, 0},
		"ghcr.io/berriai/litellm:main-v1.87-stable":            {1, 87, 0},
	} {
		got, ok := LiteLLMTagVersion(image)
		require.True(t, ok, image)
		require.Equal(t, want, got, image)
	}
	for _, image := range []string{
		"ghcr.io/berriai/litellm:our-build", "ghcr.io/berriai/litellm:main-stable",
		"ghcr.io/berriai/litellm@" + testImageDigest, "registry.example:5000/litellm:build-20260101",
	} {
		_, ok := LiteLLMTagVersion(image)
		require.False(t, ok, image)
	}
}

func TestDefaultLiteLLMImageServesChatGPT(t *testing.T) {
	v, ok := LiteLLMTagVersion(DefaultLiteLLMImage)
	require.True(t, ok, "the default pin names a release")
	require.False(t, versionLess(v, MinResponsesLiteLLMVersion),
		"the default LiteLLM image %s is older than %s, the first release whose chatgpt/ Responses bridge returns output", DefaultLiteLLMImage, versionString(MinResponsesLiteLLMVersion))
	require.False(t, versionLess(MinResponsesLiteLLMVersion, MinChatGPTLiteLLMVersion), "the responses-path fix came after the provider")
	require.NoError(t, CheckPinnedImage("image", DefaultAgentImage, DefaultAgentImage))
	require.NoError(t, CheckExactVersion("v", DefaultCodexVersion, DefaultCodexVersion))
}

func TestCredentialEnvNames(t *testing.T) {
	for _, name := range []string{
		"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "SERVICE_APIKEY", "x-api-key", "GITHUB_TOKEN", "GH_TOKEN", "TOKEN",
		"SLACK_BOT_TOKEN_VALUE", "CLIENT_SECRET", "DB_PASSWORD", "PGPASSWD", "GITHUB_PAT",
		"CHATGPT_ACCESS_TOKEN", "ChatGPT_account", "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY", "AWS_ACCESS_KEY_ID",
	} {
		require.True(t, credentialEnvName(name), name)
	}
	for _, name := range []string{"GITHUB_HOST", "LOG_LEVEL", "TOKENIZERS_PARALLELISM", "KEYBOARD", "PATH_PREFIX", "NODE_OPTIONS", "HOME_DIR", "SECRETS_FILE", "TOKEN_URL"} {
		require.False(t, credentialEnvName(name), name)
	}
}

func TestCredentialShapedValues(t *testing.T) {
	for _, v := range []string{
		"sk-abcdefghijklmnopqrstuvwx", "sk-proj-abcdefghijklmnop1234", "Bearer sk-abcdefghijklmnopqrstuvwx",
		"ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
		"xoxb-1234567890-abcdefghij", "AKIAABCDEFGHIJKLMNOP", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
	} {
		require.True(t, contract.LooksLikeCredential(v), v)
	}
	for _, v := range []string{"sk-short", "task-abcdefghijklmnopqrstuvwx", "https://github.example", "debug", "/state/.config", "eyJ"} {
		require.False(t, contract.LooksLikeCredential(v), v)
	}
}

// The names the component protects come from agentEnv itself: a name added there is
// refused in user env without a second list to keep in step.
func TestComponentEnvNamesFollowTheAgentContainer(t *testing.T) {
	names := testAgentArgs().withDefaults().componentEnvNames()
	for _, name := range []string{"LITELLM_API_KEY", "CODEX_HOME", "HOME", "COMMONLY_AGENT_NAME", "COMMONLY_INSTANCE_ID",
		"COMMONLY_POD_ID", "COMMONLY_API_URL", "COMMONLY_RUNTIME_TOKEN", "LITELLM_KEY_SECRET", "OPENAI_API_KEY"} {
		require.True(t, names[name], name)
	}
	// A user env name must never be one the real container already has.
	env := agentEnv(testAgentArgs().withDefaults(), "/state/.tools")
	require.NotEmpty(t, env)
	for _, e := range env {
		v, ok := e.(corev1.EnvVarArgs)
		require.True(t, ok, "agentEnv entries are EnvVarArgs (componentEnvNames reads them)")
		name, ok := v.Name.(pulumi.String)
		require.True(t, ok, "agentEnv names are literal strings")
		require.True(t, names[string(name)], string(name))
	}
}

func TestKeyField(t *testing.T) {
	require.Equal(t, "env.CODEX_HOME", KeyField("env", "CODEX_HOME"))
	require.Equal(t, `codex.mcpServers["git.hub"]`, KeyField("codex.mcpServers", "git.hub"))
	require.Equal(t, `env["MY VAR"]`, KeyField("env", "MY VAR"))
	require.Equal(t, `env[""]`, KeyField("env", ""))
}

// New classes of agent mistakes fail before anything is registered, each at its field.
func TestAgentRefusesSideDoorsAndUnpinnedRefsBeforeRegisteringAnything(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*CloudCodexAgentArgs)
		field string
	}{
		{"image latest", func(a *CloudCodexAgentArgs) { a.Image = "node:latest" }, "image"},
		{"image without tag", func(a *CloudCodexAgentArgs) { a.Image = "node" }, "image"},
		{"codex latest", func(a *CloudCodexAgentArgs) { a.Codex.Version = "latest" }, "codex.version"},
		{"codex range", func(a *CloudCodexAgentArgs) { a.Codex.Version = "~0.171.0" }, "codex.version"},
		{"env name", func(a *CloudCodexAgentArgs) { a.Env = map[string]string{"1X": "y"} }, "env.1X"},
		{"storage class", func(a *CloudCodexAgentArgs) { a.Storage.StorageClass = "Fast_SSD" }, "storage.storageClass"},
		{"token Secret name", func(a *CloudCodexAgentArgs) { a.Registry.TokenSecret.Name = "Token" }, "registry.tokenSecret.name"},
		{"MCP secretEnv shadows LITELLM_API_KEY", func(a *CloudCodexAgentArgs) {
			a.Codex.MCPServers = map[string]MCPServerArgs{"x": {Command: "x", SecretEnv: map[string]SecretRef{"LITELLM_API_KEY": {Name: "s", Key: "k"}}}}
		}, "codex.mcpServers.x.secretEnv.LITELLM_API_KEY"},
		{"MCP env OpenAI key", func(a *CloudCodexAgentArgs) {
			a.Codex.MCPServers = map[string]MCPServerArgs{"x": {Command: "x", Env: map[string]string{"OPENAI_API_KEY": "sk-1"}}}
		}, "codex.mcpServers.x.env.OPENAI_API_KEY"},
		{"MCP env token literal", func(a *CloudCodexAgentArgs) {
			a.Codex.MCPServers = map[string]MCPServerArgs{"GitHub": {Command: "x", Env: map[string]string{"GITHUB_TOKEN": "t"}}}
		}, "codex.mcpServers.GitHub.env.GITHUB_TOKEN"},
		{"MCP secret key", func(a *CloudCodexAgentArgs) {
			a.Codex.MCPServers = map[string]MCPServerArgs{"x": {Command: "x", SecretEnv: map[string]SecretRef{"GH_TOKEN": {Name: "gh", Key: "a/b"}}}}
		}, "codex.mcpServers.x.secretEnv.GH_TOKEN.key"},
		{"dotted MCP id", func(a *CloudCodexAgentArgs) {
			a.Codex.MCPServers = map[string]MCPServerArgs{"git.hub": {}}
		}, `codex.mcpServers["git.hub"].command`},
		{"MCP command with its arguments in one string", func(a *CloudCodexAgentArgs) {
			a.Codex.MCPServers = map[string]MCPServerArgs{"github": {Command: "npx -y @modelcontextprotocol/server-github"}}
		}, "codex.mcpServers.github.command"},
		{"runner command in one string", func(a *CloudCodexAgentArgs) { a.Runner.Command = []string{"commonly agent run cody"} }, "runner.command[0]"},
		{"runner program with a tab", func(a *CloudCodexAgentArgs) { a.Runner.Command = []string{"commonly\tagent"} }, "runner.command[0]"},
		{"MCP id codex skips", func(a *CloudCodexAgentArgs) {
			a.Codex.MCPServers = map[string]MCPServerArgs{"my server": {Command: "x"}}
		}, `codex.mcpServers["my server"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := testAgentArgs()
			tc.edit(&args)
			r, err := runAgent(t, args)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.field+": invalid value")
			require.Empty(t, r.mocks.resources(), "nothing may be registered before validation passes")
		})
	}
}

// A program and its arguments in one string is refused with the list to write instead.
func TestCommandsInOneStringSuggestTheList(t *testing.T) {
	args := testAgentArgs()
	args.Codex.MCPServers = map[string]MCPServerArgs{"github": {Command: "npx -y @modelcontextprotocol/server-github", Args: []string{"--stdio"}}}
	args.Runner.Command = []string{"commonly agent run", "cody"}
	err := args.Validate()
	require.ErrorContains(t, err, `codex.mcpServers.github.command: invalid value "npx -y @modelcontextprotocol/server-github"`)
	require.ErrorContains(t, err, `command: "npx", args: ["-y", "@modelcontextprotocol/server-github", "--stdio"]`)
	require.ErrorContains(t, err, `runner.command: ["commonly", "agent", "run", "cody"]`)
	require.ErrorContains(t, err, "without a shell")

	// A program alone, or arguments with spaces, are fine.
	args = testAgentArgs()
	args.Codex.MCPServers = map[string]MCPServerArgs{"github": {Command: "/usr/local/bin/gh-mcp", Args: []string{"--title", "two words"}}}
	args.Runner.Command = []string{"sh", "-c", "commonly agent run cody"}
	require.NoError(t, args.Validate())
}

func TestAgentReportsEveryProblemAtOnce(t *testing.T) {
	args := testAgentArgs()
	two := 2
	args.Replicas = &two
	args.Image = "node:latest"
	args.Codex.Version = "latest"
	args.Env = map[string]string{"CODEX_HOME": "/x", "API_TOKEN": "t"}
	err := args.Validate()
	require.Error(t, err)
	var fields []string
	for _, e := range authPoolUnjoin(err) {
		var fe *FieldError
		require.True(t, errors.As(e, &fe), e.Error())
		fields = append(fields, fe.Field)
	}
	require.ElementsMatch(t, []string{"replicas", "image", "codex.version", "env.CODEX_HOME", "env.API_TOKEN"}, fields)
}

func TestAuthPoolRefusesAnOldLiteLLMForChatGPTModels(t *testing.T) {
	args := authPoolDevArgs()
	args.Image = "ghcr.io/berriai/litellm-non_root:main-v1.81.0-stable"
	r, err := runAuthPool(t, args)
	require.ErrorContains(t, err, "image: invalid value")
	require.ErrorContains(t, err, "v1.88.0")
	require.Empty(t, r.mocks.res, "nothing may be registered before validation passes")

	// The responses path the agents call needs the release whose Responses bridge returns
	// output: the provider's first release, the original system's v1.83.7-stable and a
	// two-part v1.80 are all refused, with the reason and the fix.
	for _, image := range []string{
		"ghcr.io/berriai/litellm-non_root:v1.81.3", "ghcr.io/berriai/litellm-non_root:v1.83.7-stable",
		"ghcr.io/berriai/litellm:v1.80", "ghcr.io/berriai/litellm:v1.87.2", "ghcr.io/berriai/litellm:1.87",
	} {
		args.Image = image
		err := args.Validate()
		require.ErrorContains(t, err, "image: invalid value", image)
		require.ErrorContains(t, err, "older than v1.88.0", image)
		require.ErrorContains(t, err, "'ResponsesAPIResponse' object has no attribute 'output'", image)
		require.ErrorContains(t, err, "use "+DefaultLiteLLMImage, image)
	}
	for _, image := range []string{
		"registry.example/litellm:our-build", "ghcr.io/berriai/litellm-non_root:v1.88.0-rc.1", "ghcr.io/berriai/litellm:v1.88",
		"ghcr.io/berriai/litellm-non_root:v1.88.0", "ghcr.io/berriai/litellm@" + testImageDigest,
	} {
		args.Image = image
		require.NoError(t, args.Validate(), image)
	}
	args.Image = "ghcr.io/berriai/litellm-non_root:latest"
	require.ErrorContains(t, args.Validate(), "moving tag")
}

// Each chatgpt/ path has its own floor; models of other providers have none.
func TestMinLiteLLMVersionPerPath(t *testing.T) {
	min, why, ok := minLiteLLMVersion(AuthPoolModel{Alias: "codex-cli/gpt-5.4", Upstream: "chatgpt/gpt-5.4", Path: AuthPoolResponsesPath})
	require.True(t, ok)
	require.Equal(t, MinResponsesLiteLLMVersion, min)
	require.Contains(t, why, `"codex-cli/gpt-5.4"`)
	min, _, ok = minLiteLLMVersion(AuthPoolModel{Alias: "gpt-5.4", Upstream: "chatgpt/responses/gpt-5.4", Path: AuthPoolChatPath})
	require.True(t, ok)
	require.Equal(t, MinChatGPTLiteLLMVersion, min)
	_, _, ok = minLiteLLMVersion(AuthPoolModel{Alias: "gpt-4.1", Upstream: "openai/gpt-4.1", Path: AuthPoolProviderPath})
	require.False(t, ok)
}

func TestPoolSecretsNameWhatOnlyThePoolReads(t *testing.T) {
	args := authPoolDevArgs()
	args.Database = AuthPoolDatabase{InCluster: &AuthPoolInClusterDatabase{}}
	require.Equal(t, []string{"litellm-database-url", "litellm-master-key", "litellm-postgres", "litellm-salt-key"}, slices.Sorted(maps.Keys(args.PoolSecrets())))
	args.Name = "pool"
	args.Database = AuthPoolDatabase{ExistingSecret: &SecretRef{Name: "prod-db"}}
	require.Equal(t, []string{"pool-master-key", "pool-salt-key", "prod-db"}, slices.Sorted(maps.Keys(args.PoolSecrets())))
}

func TestCheckHTTPURLRefusesCredentialsWithoutPrintingThem(t *testing.T) {
	require.NoError(t, CheckHTTPURL("u", "https://api.example.com/v1"))
	err := CheckHTTPURL("u", "https://bot:s3cret@api.example.com")
	require.ErrorContains(t, err, "must not carry credentials")
	require.NotContains(t, err.Error(), "s3cret")
	require.ErrorContains(t, CheckHTTPURL("u", "api.example.com"), "absolute")

	// A token in the user position is a credential too, and every URL echoed in an error has
	// its whole userinfo masked, whether it parses or not.
	for _, tc := range []struct{ url, shown string }{
		{"https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/cli.git", "https://xxxxx@github.com/org/cli.git"},
		{"https://tok3n@api.example.com", "https://xxxxx@api.example.com"},
		{"https://bot:s3cret@api.example.com/v1", "https://xxxxx@api.example.com/v1"},
		{"https://tok3n@api.example.com:bad/v1", "https://xxxxx@api.example.com:bad/v1"}, // url.Parse refuses it
		{"ftp://tok3n@files.example.com", "ftp://xxxxx@files.example.com"},
	} {
		err := CheckHTTPURL("u", tc.url)
		require.Error(t, err, tc.url)
		require.Contains(t, err.Error(), `"`+tc.shown+`"`, tc.url)
		for _, secret := range []string{"ghp_", "tok3n", "s3cret"} {
			require.NotContains(t, err.Error(), secret, tc.url)
		}
		require.NotContains(t, redactedURL(tc.url), "tok3n")
	}
	require.Equal(t, "https://api.example.com/x@y", redactedURL("https://api.example.com/x@y"), "an @ in the path is no userinfo")
	err = CheckCredentialURL("u", "http://tok3n@api.example.com")
	require.ErrorContains(t, err, "xxxxx@api.example.com")
	require.NotContains(t, err.Error(), "tok3n")
}

// A credential in a URL's query or fragment is as plaintext as one in its userinfo: refused
// by name (?key=, ?sig=, ?access_token=) or by shape, and masked wherever a URL is echoed.
func TestCheckHTTPURLRefusesQueryCredentialsWithoutPrintingThem(t *testing.T) {
	for _, tc := range []struct{ url, shown, secret string }{
		{"https://generativelanguage.googleapis.com/v1beta?key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
			"https://generativelanguage.googleapis.com/v1beta?key=xxxxx", "AIzaSy"},
		{"https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=abcDEF123%2Bxyz%3D",
			"https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=xxxxx", "abcDEF"},
		{"https://gw.example.com/v1?api_key=s3cretvalue&region=eu",
			"https://gw.example.com/v1?api_key=xxxxx&region=eu", "s3cret"},
		{"https://gw.example.com/v1?X-Amz-Credential=AKIDEXAMPLE%2F20261130&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027",
			"https://gw.example.com/v1?X-Amz-Credential=xxxxx&X-Amz-Signature=xxxxx", "fe5f80"},
		// not named as one, but shaped as one (an OpenAI project key)
		{"https://gw.example.com/v1?x=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
			"https://gw.example.com/v1?x=xxxxx", "sk-proj-"},
		{"https://app.example.com/cb#access_token=tok3nvalue1234&token_type=bearer",
			"https://app.example.com/cb#access_token=xxxxx&token_type=bearer", "tok3n"},
		{"https://bot:s3cret@gw.example.com/v1?token=tok3nvalue1234",
			"https://xxxxx@gw.example.com/v1?token=xxxxx", "tok3n"},
	} {
		err := CheckHTTPURL("u", tc.url)
		require.Error(t, err, tc.url)
		require.ErrorContains(t, err, "must not carry credentials", tc.url)
		require.Contains(t, err.Error(), `"`+tc.shown+`"`, tc.url)
		require.NotContains(t, err.Error(), tc.secret, tc.url)
	}
	// url.Parse refuses this one: masked by its text.
	shown := redactedURL("https://gw.example.com:bad/v1?api_key=s3cretvalue#access_token=tok3nvalue1234")
	require.Equal(t, "https://gw.example.com:bad/v1?api_key=xxxxx#access_token=xxxxx", shown)

	// Ordinary parameters, and references to a secret instead of one, are no credentials.
	for _, ok := range []string{
		"https://api.example.com/v1?page=2&model=gpt-5",
		"https://api.example.com/v1?api-version=2025-04-01-preview",
		"https://api.example.com/v1?token=${TOKEN}",
		"https://api.example.com/docs#keys",
		"https://api.example.com/v1?key=",
	} {
		require.NoError(t, CheckHTTPURL("u", ok), ok)
		require.Equal(t, ok, redactedURL(ok), ok)
	}
}

// runner.packages entries: an npm package name and one exact version. The install step
// word-splits the list, so whitespace inside an entry would install something else.
func TestRunnerPackageSpecs(t *testing.T) {
	for spec, want := range map[string]string{
		"left-pad@1.3.0":    "",
		"@scope/name@1.2.3": "",
		"@modelcontextprotocol/server-github@2025.4.8": "",
		"JSONStream@1.3.5":                  "", // an old package's upper case
		"tsx@4.19.2-beta.1":                 "",
		"lodash.merge@4.6.2":                "",
		"typescript tsx@4.19.2":             "it has whitespace",
		"tsx@4.19.2 ":                       "it has whitespace",
		"tsx\t@4.19.2":                      "it has whitespace",
		"left-pad":                          "pinned to an exact version",
		"@scope/name":                       "pinned to an exact version",
		"left-pad@latest":                   "one exact version",
		"left-pad@^1.3.0":                   "one exact version",
		"left-pad@1.3":                      "one exact version",
		"left-pad@v1.3.0":                   "one exact version",
		"left-pad@1.3.0-":                   "one exact version",
		"left-pad@1.3.0.1":                  "one exact version",
		"left-pad@1.3.0||2.0.0":             "one exact version",
		".hidden@1.0.0":                     "not an npm package name",
		"_private@1.0.0":                    "not an npm package name",
		"a*b@1.0.0":                         "not an npm package name",
		"@Scope/name@1.0.0":                 "not an npm package name",
		"@scope/@1.0.0":                     "not an npm package name",
		"@/name@1.0.0":                      "not an npm package name",
		"a/b@1.0.0":                         "not an npm package name",
		"git+https://x.example/r.git@1.0.0": "not an npm package name",
		"github:user/repo@1.0.0":            "not an npm package name",
		strings.Repeat("a", 215) + "@1.0.0": "not an npm package name",
	} {
		name, why := parseNpmSpec(spec)
		if want == "" {
			require.Empty(t, why, spec)
			require.Equal(t, spec[:strings.LastIndex(spec, "@")], name)
			continue
		}
		require.Contains(t, why, want, spec)
	}
	r := AgentRunnerArgs{Packages: []string{"typescript tsx@4.19.2"}}
	errs := r.validatePackages()
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], `runner.packages[0]: invalid value "typescript tsx@4.19.2"`)
	require.ErrorContains(t, errs[0], "(typescript, tsx@4.19.2)")
}

// Memory is counted in bytes: a value with a fraction of a byte ("512m", 512 thousandths) is
// refused at its field for agents and the pool alike, with the binary suffix it meant.
func TestMemoryMustBeWholeBytes(t *testing.T) {
	for _, tc := range []struct {
		r      ResourcesArgs
		fields map[string]string
	}{
		{requestsAndLimits("50m", "512m", "500m", "2Gi"), map[string]string{"resources.requests.memory": `e.g. "512Mi"`}},
		{requestsAndLimits("50m", "256Mi", "500m", "2048m"), map[string]string{"resources.limits.memory": `e.g. "2048Mi"`}},
		{requestsAndLimits("50m", "0.5", "500m", "1.5Gi"), map[string]string{"resources.requests.memory": "0.5 of a byte"}},
	} {
		err := tc.r.validate("resources", "")
		require.Error(t, err)
		errs := authPoolUnjoin(err)
		require.Len(t, errs, len(tc.fields), err.Error())
		for field, want := range tc.fields {
			require.ErrorContains(t, err, field+": invalid value")
			require.ErrorContains(t, err, want)
		}
	}
	for _, ok := range []ResourcesArgs{
		requestsAndLimits("50m", "256Mi", "500m", "2Gi"),
		requestsAndLimits("0.5", "1.5Gi", "1", "2e9"),
		requestsAndLimits("50m", "1000m", "500m", "2G"), // 1000m is one byte: odd, but whole
	} {
		require.NoError(t, ok.validate("resources", ""), ok)
	}

	agent := testAgentArgs()
	agent.Resources.Requests.Memory = "512m"
	require.ErrorContains(t, agent.Validate(), "resources.requests.memory: invalid value \"512m\"")
	pool := authPoolDevArgs()
	pool.Resources = &ResourcesArgs{Limits: ResourceList{Memory: "4096m"}}
	require.ErrorContains(t, pool.Validate(), "resources.limits.memory: invalid value \"4096m\"")
}

// Every environment name the agent pod's scripts read is one a user may not set in any env
// source: a name read by a script and set by the user redirects or breaks the boot step.
func TestEveryNameTheScriptsReadIsReserved(t *testing.T) {
	names := testAgentArgs().withDefaults().componentEnvNames()
	refRE := map[string]*regexp.Regexp{
		".sh": regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*)`),          // $NAME, ${NAME...}
		".js": regexp.MustCompile(`process\.env\.([A-Z][A-Z0-9_]*)`), // process.env.NAME
	}
	var read []string
	for file, text := range agentScriptsFiles() {
		re := refRE[file[strings.LastIndex(file, "."):]]
		require.NotNil(t, re, "a script of a kind this scan does not read: %s", file)
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			name := m[1]
			read = append(read, name)
			require.True(t, names[name], "%s reads $%s, which a user may still set in agents[].env", file, name)
		}
	}
	for _, name := range []string{"PATH", "CLOUD_CODEX_CONFIG_DIR", "CLOUD_CODEX_SCRIPTS_DIR", "RUNNER_DIR", "TOOLS_DIR"} {
		require.Contains(t, read, name, "the scan finds what the scripts read")
	}

	args := testAgentArgs()
	args.Env = map[string]string{"PATH": "/opt/bin:$PATH", "CLOUD_CODEX_CONFIG_DIR": "/tmp/x"}
	args.Codex.MCPServers = map[string]MCPServerArgs{"x": {Command: "x", SecretEnv: map[string]SecretRef{"CLOUD_CODEX_SCRIPTS_DIR": {Name: "s", Key: "k"}}}}
	err := args.Validate()
	require.ErrorContains(t, err, "env.PATH: invalid value (set): is set by the agent's boot step")
	require.ErrorContains(t, err, "runner.packages")
	require.ErrorContains(t, err, "env.CLOUD_CODEX_CONFIG_DIR: invalid value (set): is read by the agent pod's boot and install scripts")
	require.ErrorContains(t, err, "codex.mcpServers.x.secretEnv.CLOUD_CODEX_SCRIPTS_DIR: invalid value (set): is read by")
}
