package rules

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/codexconfig"
	"cloud-codex/litellmconfig"
)

func TestCheckConfigMapCredentials(t *testing.T) {
	jwt := testJWT()
	ghp := "ghp_" + strings.Repeat("a1B2", 9)
	pat := "github_pat_" + strings.Repeat("x9", 20)
	flat := `{"access_token":"` + jwt + `","refresh_token":"rt","id_token":"` + jwt + `","expires_at":2000000000}`
	for _, tc := range []struct {
		name   string
		data   map[string]string
		extra  []string
		want   []string // substrings, one finding each
		secret string   // must not appear in any finding
	}{
		{name: "codex and LiteLLM configs", data: map[string]string{
			codexconfig.FileName:   codexConfigTOML(t),
			litellmconfig.FileName: litellmConfigYAML(t),
			"README":               "set LITELLM_API_KEY to sk-... from the Secret; see task-scheduler docs",
			"short test value":     "sk-x",
		}},
		{name: "key named auth.json", data: map[string]string{"auth.json": "{}"}, want: []string{`key "auth.json" is named like a codex credential file`}},
		{name: "key named auth-2.json", data: map[string]string{"auth-2.json": ""}, want: []string{`key "auth-2.json"`}},
		{name: "codex auth file as a value", data: map[string]string{"creds": testAuthJSON()}, want: []string{`key "creds" holds a codex auth file`}, secret: "rt-test"},
		{name: "flat token file as a value", data: map[string]string{"token": flat}, want: []string{`key "token" holds a codex auth file or LiteLLM token file`}},
		{name: "JWT inside config.toml", data: map[string]string{"config.toml": "model = \"x\"\n# token " + jwt + "\n"},
			want: []string{`key "config.toml" line 2 contains a JWT (eyJhbG…)`}, secret: jwt},
		{name: "sk- key dumped by env", data: map[string]string{"config.toml": "# LITELLM_API_KEY=sk-Abc123def456ghi789\n"},
			want: []string{`line 1 contains an sk- API key (sk-Abc…)`}, secret: "sk-Abc123def456ghi789"},
		{name: "GitHub classic token", data: map[string]string{"env": "GH_TOKEN=" + ghp}, want: []string{"contains a GitHub token (ghp_a1…)"}, secret: ghp},
		{name: "GitHub fine-grained token", data: map[string]string{"env": "x " + pat}, want: []string{"contains a GitHub token (github…)"}, secret: pat},
		{name: "not a JWT though it looks like one", data: map[string]string{"x": "eyJhbGciOi.eyJzdWIi.sig"}},
		{name: "extra pattern", data: map[string]string{"acme": "token: acme_live_123456"}, extra: []string{`acme_live_[0-9]+`},
			want: []string{`contains a match of extra pattern "acme_live_[0-9]+" (acme_l…)`}, secret: "acme_live_123456"},
		{name: "a Slack token (built in)", data: map[string]string{"slack": "token: xoxb-123-456-abc"},
			want: []string{`contains a Slack token (xoxb-1…)`}, secret: "xoxb-123-456-abc"},
		{name: "several findings", data: map[string]string{"a": jwt, "b": "sk-0123456789abcdef"}, want: []string{`key "a"`, `key "b"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var extra []*regexp.Regexp
			for _, e := range tc.extra {
				extra = append(extra, regexp.MustCompile(e))
			}
			got := CheckConfigMapCredentials(tc.data, extra)
			if len(got) != len(tc.want) {
				t.Fatalf("findings %q, want %d like %q", got, len(tc.want), tc.want)
			}
			all := strings.Join(got, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("findings %q lack %q", got, w)
				}
			}
			if tc.secret != "" && strings.Contains(all, tc.secret) {
				t.Errorf("findings repeat the secret: %q", got)
			}
		})
	}
}

func TestNoCredentialsInConfigMapsPolicy(t *testing.T) {
	p := noCredentialsInConfigMapsPolicy().(policyx.ResourceValidationPolicy)
	binary := base64.StdEncoding.EncodeToString([]byte(testAuthJSON()))
	cm := toAnalyzer(t, &Resource{
		URN: childURN(nil, kubeCM, "leaky"), Type: kubeCM,
		Props: map[string]any{"metadata": map[string]any{"name": "leaky"}, "data": map[string]any{"note": "xoxb-1-2-3"},
			"binaryData": map[string]any{"blob": binary}},
	}, secretPaths{"data": true})
	notCM := toAnalyzer(t, secretRes(nil, "", "fine", map[string]string{"auth.json": testAuthJSON()}), nil)

	for _, tc := range []struct {
		name    string
		res     policyx.AnalyzerResource
		config  map[string]any
		want    []string
		wantErr string
	}{
		{name: "binaryData auth file", res: cm, want: []string{`ConfigMap "leaky" holds credentials`, `key "blob" holds a codex auth file`}},
		{name: "extra pattern from config", res: cm, config: map[string]any{configExtraPatterns: []any{"xoxb-[0-9-]+"}},
			want: []string{`key "blob"`, `key "note" line 1 contains a match of extra pattern`}},
		{name: "Secrets are where credentials belong", res: notCM},
		{name: "invalid regex in config", res: cm, config: map[string]any{configExtraPatterns: []any{"("}},
			wantErr: `invalid --policy-pack-config for policy "no-credentials-in-configmaps": "extraPatterns" item 0 ("(") is not a valid regular expression`},
		{name: "config of the wrong type", res: cm, config: map[string]any{configExtraPatterns: "xoxb-"},
			wantErr: `"extraPatterns" must be a list of strings, got string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			err := p.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: rec, Resource: tc.res, Config: tc.config})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.want) == 0 {
				if len(rec.vs) != 0 {
					t.Fatalf("violations: %s", describe(rec.vs))
				}
				return
			}
			if len(rec.vs) != 1 || rec.vs[0].URN != "" {
				t.Fatalf("want one violation on the resource itself, got %s", describe(rec.vs))
			}
			for _, w := range tc.want {
				if !strings.Contains(rec.vs[0].Message, w) {
					t.Errorf("message lacks %q:\n%s", w, rec.vs[0].Message)
				}
			}
		})
	}
}

// Judged by name as well as by shape (issue 21), without flagging references and
// obviously non-secret values.
func TestCheckConfigMapCredentials_ByName(t *testing.T) {
	mcp := codexConfigTOML(t, func(c *codexconfig.Config) {
		c.MCPServers = map[string]codexconfig.MCPServer{"tools": {Command: "npx", Env: map[string]string{"OPENAI_API_KEY": "not-shaped-like-sk", "LOG_LEVEL": "debug"}}}
	})
	for _, tc := range []struct {
		name   string
		data   map[string]string
		want   []string
		secret string
	}{
		{name: "an MCP server's literal OPENAI_API_KEY in config.toml", data: map[string]string{"config.toml": mcp},
			want: []string{`key "config.toml": mcp_servers.tools.env.OPENAI_API_KEY is named like a credential`}, secret: "not-shaped-like-sk"},
		{name: "a key named like a credential", data: map[string]string{"GITHUB_TOKEN": "abc123notghp"},
			want: []string{`key "GITHUB_TOKEN" is named like a credential`}, secret: "abc123notghp"},
		{name: "a YAML entry", data: map[string]string{"app.yaml": "db:\n  password: hunter2\n"},
			want: []string{`key "app.yaml": db.password is named like a credential`}, secret: "hunter2"},
		{name: "a JSON entry", data: map[string]string{"settings.json": `{"slack": {"clientSecret": "s3cr3t-value"}}`},
			want: []string{"slack.clientSecret"}, secret: "s3cr3t-value"},
		{name: "an .env line", data: map[string]string{".env": "LOG=debug\nexport ANTHROPIC_API_KEY=abc-def\n"},
			want: []string{`key ".env": line 2: ANTHROPIC_API_KEY`}, secret: "abc-def"},
		{name: "references and non-secrets pass", data: map[string]string{
			"OPENAI_API_KEY":    "",
			"LITELLM_API_KEY":   "${LITELLM_API_KEY}",
			"app.yaml":          "master_key: os.environ/LITELLM_MASTER_KEY\nmax_tokens: 4096\ntoken_url: https://auth.example/token\nsecret_name: my-secret\ncli_auth_credentials_store: file\npassword: <set-in-secret>\n",
			".env":              "GITHUB_TOKEN=$(GITHUB_TOKEN)\nAPI_KEY_FILE=/run/secrets/key\n",
			"CHATGPT_TOKEN_DIR": "/chatgpt-auth",
			"tokenizer":         "cl100k_base",
			"boot.sh":           "#!/bin/sh\nexport LITELLM_API_KEY=\"${LITELLM_API_KEY:-}\"\n",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckConfigMapCredentials(tc.data, nil)
			if len(got) != len(tc.want) {
				t.Fatalf("findings %q, want %d like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("finding %q lacks %q", got[i], w)
				}
				if tc.secret != "" && strings.Contains(got[i], tc.secret) {
					t.Errorf("finding %q repeats the secret", got[i])
				}
			}
		})
	}
}

func TestIsCodexCredential(t *testing.T) {
	jwt := testJWT()
	for name, tc := range map[string]struct {
		v    string
		want bool
	}{
		"codex auth.json":             {testAuthJSON(), true},
		"codex API-key auth.json":     {`{"OPENAI_API_KEY":"sk-proj-abc"}`, true},
		"LiteLLM flat file":           {`{"access_token":"` + jwt + `","refresh_token":"rt","id_token":"` + jwt + `","expires_at":2000000000,"account_id":"acct"}`, true},
		"flat file without account":   {`{"access_token":"` + jwt + `","refresh_token":"rt","expires_at":2000000000}`, true},
		"an OAuth token response":     {`{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":3600}`, false},
		"an OAuth cache with expires": {`{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_at":2000000000}`, false},
		"only a refresh_token":        {`{"refresh_token":"r"}`, false},
		"registry auth.json":          {`{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}}}`, false},
		"codex auth.json logged out":  {`{"OPENAI_API_KEY":null,"tokens":null}`, false},
		"not JSON":                    {"tokens: {refresh_token: x}", false},
	} {
		if got := isCodexCredential(tc.v); got != tc.want {
			t.Errorf("%s: isCodexCredential = %v, want %v", name, got, tc.want)
		}
	}
}
