package rules

import (
	"testing"

	"cloud-codex/codexconfig"
	"cloud-codex/litellmconfig"
)

var aliceConfigURN = childURN(agentChain, kubeCM, "alice-codex-config")

// withAliceConfig replaces alice's config.toml.
func withAliceConfig(t *testing.T, s *Stack, text string) *Stack {
	return replaceRes(s, aliceConfigURN, configMapRes(agentChain, agentURN("alice"), "alice-codex-config",
		map[string]string{codexconfig.FileName: text}))
}

func TestAgentsRouteThroughLiteLLM(t *testing.T) {
	cfg := func(t *testing.T, f func(c *codexconfig.Config)) string { return codexConfigTOML(t, f) }
	provider := func(f func(p *codexconfig.ModelProvider)) func(c *codexconfig.Config) {
		return func(c *codexconfig.Config) {
			p := c.ModelProviders[codexconfig.ProviderID]
			f(&p)
			c.ModelProviders[codexconfig.ProviderID] = p
		}
	}
	poolConfigURN := childURN(poolChain, kubeCM, "litellm-config")
	withModels := func(t *testing.T, s *Stack, models ...litellmconfig.Model) *Stack {
		return replaceRes(s, poolConfigURN, configMapRes(poolChain, poolURN, "litellm-config",
			map[string]string{litellmconfig.FileName: litellmConfigYAML(t, models...)}))
	}
	model := func(alias, upstream string) litellmconfig.Model {
		return litellmconfig.Model{ModelName: alias, LiteLLMParams: litellmconfig.LiteLLMParams{Model: upstream}}
	}

	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  []string // substrings of the single violation on alice's ConfigMap; nil = compliant
		other map[string][]string
	}{
		{name: "dev stack", stack: func(t *testing.T) *Stack { return devStack(t) }},
		{name: "base_url with a trailing slash", stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) { p.BaseURL = testBaseURL + "/" })))
		}},
		{name: "provider openai", want: []string{`model_provider "openai" is one of codex's built-in providers`}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, func(c *codexconfig.Config) { c.ModelProvider = "openai" }))
		}},
		{name: "provider unset", want: []string{"model_provider is not set"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, func(c *codexconfig.Config) { c.ModelProvider = "" }))
		}},
		{name: "provider without a table", want: []string{`model_provider "proxy" has no [model_providers.proxy] table`}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, func(c *codexconfig.Config) { c.ModelProvider = "proxy" }))
		}},
		{name: "base_url elsewhere", want: []string{`base_url "https://proxy.example.com/v1" is not this stack's LiteLLM Service (want ` + testBaseURL + `)`},
			stack: func(t *testing.T) *Stack {
				return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) { p.BaseURL = "https://proxy.example.com/v1" })))
			}},
		{name: "base_url on the public OpenAI API", want: []string{`base_url "https://api.openai.com/v1" points at api.openai.com, a public OpenAI/ChatGPT host`},
			stack: func(t *testing.T) *Stack {
				return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) { p.BaseURL = "https://api.openai.com/v1" })))
			}},
		{name: "base_url short service name", want: []string{"is not this stack's LiteLLM Service"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) { p.BaseURL = "http://litellm:4000/v1" })))
		}},
		{name: "base_url at the pool's database Service", want: []string{"is not this stack's LiteLLM Service (want " + testBaseURL + ")"},
			stack: func(t *testing.T) *Stack {
				return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) {
					p.BaseURL = "http://litellm-postgres.cloud-codex.svc.cluster.local:5432/v1"
				})))
			}},
		{name: "base_url wrong port", want: []string{"is not this stack's LiteLLM Service"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) {
				p.BaseURL = "http://litellm.cloud-codex.svc.cluster.local:8080/v1"
			})))
		}},
		{name: "base_url wrong namespace", want: []string{"is not this stack's LiteLLM Service"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) {
				p.BaseURL = "http://litellm.other.svc.cluster.local:4000/v1"
			})))
		}},
		{name: "base_url missing", want: []string{"[model_providers.litellm] has no base_url"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) { p.BaseURL = "" })))
		}},
		{name: "wire_api chat", want: []string{`wire_api is "chat", want "responses"`}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) { p.WireAPI = "chat" })))
		}},
		{name: "env_key OPENAI_API_KEY", want: []string{`env_key is "OPENAI_API_KEY", want "LITELLM_API_KEY"`}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) { p.EnvKey = "OPENAI_API_KEY" })))
		}},
		{name: "requires_openai_auth", want: []string{"sets requires_openai_auth = true"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, provider(func(p *codexconfig.ModelProvider) { p.RequiresOpenAIAuth = true })))
		}},
		{name: "model mapped to the chat path", other: map[string][]string{
			aliceConfigURN: {`model "codex-cli/gpt-5.4" maps to "chatgpt/responses/gpt-5.4"`},
			childURN(agentChain, kubeCM, "bob-codex-config"): {`maps to "chatgpt/responses/gpt-5.4"`},
		}, stack: func(t *testing.T) *Stack {
			return withModels(t, devStack(t), model(testModel, "chatgpt/responses/gpt-5.4"))
		}},
		{name: "model mapped to another provider", other: map[string][]string{
			aliceConfigURN: {`maps to "openai/gpt-4o-mini"`},
			childURN(agentChain, kubeCM, "bob-codex-config"): {`maps to "openai/gpt-4o-mini"`},
		}, stack: func(t *testing.T) *Stack {
			return withModels(t, devStack(t), model(testModel, "openai/gpt-4o-mini"))
		}},
		{name: "model not in the model_list", want: []string{`model "gpt-5" is not in the auth pool's LiteLLM model_list`}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, func(c *codexconfig.Config) { c.Model = "gpt-5" }))
		}},
		{name: "model unset", want: []string{"model is not set"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), cfg(t, func(c *codexconfig.Config) { c.Model = "" }))
		}},
		{name: "config.toml does not parse", want: []string{"does not parse as a codex config.toml"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), "model = \"x\"\nmodel_provider = litellm\n")
		}},
		{name: "agent config.toml without codex keys", want: []string{"model_provider is not set"}, stack: func(t *testing.T) *Stack {
			return withAliceConfig(t, devStack(t), "# rendered by a broken heredoc\n")
		}},
		{name: "codex config outside any agent", other: map[string][]string{
			childURN(nil, kubeCM, "stray"): {`ConfigMap "stray" key "codex.toml"`, `"openai"`},
		}, stack: func(t *testing.T) *Stack {
			return devStack(t, configMapRes(nil, "", "stray", map[string]string{
				"codex.toml": cfg(t, func(c *codexconfig.Config) { c.ModelProvider = "openai" }),
			}))
		}},
		{name: "codex login config outside the auth pool", other: map[string][]string{
			childURN(nil, kubeCM, "login"): {`ConfigMap "login" key "login.toml"`, "model_provider is not set"},
		}, stack: func(t *testing.T) *Stack {
			return devStack(t, configMapRes(nil, "", "login", map[string]string{"login.toml": loginConfigTOML(t)}))
		}},
		{name: "the auth pool's own codex login config", stack: func(t *testing.T) *Stack {
			return devStack(t, configMapRes(poolChain, poolURN, "litellm-scripts", map[string]string{"codex-login-config.toml": loginConfigTOML(t)}))
		}},
		{name: "an unrelated config.toml outside agents", stack: func(t *testing.T) *Stack {
			return devStack(t, configMapRes(nil, "", "web", map[string]string{
				codexconfig.FileName: "[server]\nport = 8080\n", "app.toml": "title = \"x\"\n",
			}))
		}},
		{name: "LiteLLM config.yaml does not parse", other: map[string][]string{
			childURN(poolChain, kubeCM, "litellm-config"): {"the auth pool's LiteLLM config.yaml does not parse"},
		}, stack: func(t *testing.T) *Stack {
			return replaceRes(devStack(t), poolConfigURN, configMapRes(poolChain, poolURN, "litellm-config",
				map[string]string{litellmconfig.FileName: "model_list: [unclosed"}))
		}},
		{name: "no auth pool: any base_url, but never openai", want: []string{`"openai"`}, stack: func(t *testing.T) *Stack {
			var rs []*Resource
			rs = append(rs, agentResources(t, "alice")...)
			s := NewStack(rs)
			s = withAliceConfig(t, s, cfg(t, func(c *codexconfig.Config) { c.ModelProvider = "openai" }))
			return s
		}},
		{name: "no auth pool: an external LiteLLM", stack: func(t *testing.T) *Stack {
			s := NewStack(agentResources(t, "alice"))
			return withAliceConfig(t, s, cfg(t, provider(func(p *codexconfig.ModelProvider) { p.BaseURL = "http://litellm.shared:4000/v1" })))
		}},
		{name: "Service without a namespace matches any", stack: func(t *testing.T) *Stack {
			return mutate(t, devStack(t), childURN(poolChain, kubeService, "litellm-service"), func(p map[string]any) {
				delete(p["metadata"].(map[string]any), "namespace")
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.other
			if tc.want != nil {
				want = map[string][]string{aliceConfigURN: append([]string{`ConfigMap "alice-codex-config" key "config.toml"`}, tc.want...)}
			}
			assertViolations(t, CheckAgentsRouteThroughLiteLLM(tc.stack(t)), want)
		})
	}
}

func TestLiteLLMEndpointMatches(t *testing.T) {
	e := LiteLLMEndpoint{Name: "litellm", Namespace: "ns", Port: 4000}
	for url, want := range map[string]bool{
		"http://litellm.ns.svc.cluster.local:4000/v1":          true,
		"http://litellm.ns.svc.cluster.local:4000/v1/":         true,
		"https://litellm.ns.svc.cluster.local:4000/v1":         false,
		"http://litellm.ns.svc.cluster.local/v1":               false,
		"http://litellm.ns.svc.cluster.local:4000":             false,
		"http://litellm.ns.svc.cluster.local:4000/v2":          false,
		"http://evil.litellm.ns.svc.cluster.local:4000/v1":     false,
		"http://litellm.ns.svc.cluster.local.evil.com:4000/v1": false,
	} {
		if got := e.Matches(url); got != want {
			t.Errorf("Matches(%q) = %v, want %v", url, got, want)
		}
	}
}

// Codex config wherever it appears (issue 18): Secrets, env values, -c overrides; and a
// public OpenAI/ChatGPT base_url fails even in a stack without a pool.
func TestAgentsRouteThroughLiteLLM_ConfigWhereverItAppears(t *testing.T) {
	public := func(c *codexconfig.Config) {
		p := c.ModelProviders[codexconfig.ProviderID]
		p.BaseURL = "https://chatgpt.com/backend-api/codex"
		c.ModelProviders[codexconfig.ProviderID] = p
	}
	wURN := childURN(nil, kubeDeploy, "runner")
	runner := func(t *testing.T, pod string) *Resource {
		return workloadRes(t, "Deployment", "runner", nil, "", pod, recreate)
	}
	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  map[string][]string
	}{
		{"a codex config in a Secret", func(t *testing.T) *Stack {
			return devStack(t, secretRes(nil, "", "codex-cfg", map[string]string{"config.toml": codexConfigTOML(t, public)}))
		}, map[string][]string{childURN(nil, kubeSecret, "codex-cfg"): {
			`Secret "codex-cfg" key "config.toml"`, `points at chatgpt.com, a public OpenAI/ChatGPT host`}}},
		{"a public base_url without a pool in the stack", func(t *testing.T) *Stack {
			return NewStack([]*Resource{configMapRes(nil, "", "lone", map[string]string{"config.toml": codexConfigTOML(t, public)})})
		}, map[string][]string{childURN(nil, kubeCM, "lone"): {"a public OpenAI/ChatGPT host"}}},
		{"an env value that is a codex config", func(t *testing.T) *Stack {
			return devStack(t, runner(t, `
containers:
- name: app
  image: node
  env: [{name: CODEX_CONFIG, value: "model_provider = \"openai\"\nmodel = \"gpt-5\"\n"}]
`))
		}, map[string][]string{wURN: {`env CODEX_CONFIG (literal value) is a codex config`, `model_provider "openai" is one of codex's built-in providers`}}},
		{"an env value from a ConfigMap of the stack", func(t *testing.T) *Stack {
			return devStack(t, configMapRes(nil, "", "envs", map[string]string{"CFG": codexConfigTOML(t, public)}), runner(t, `
containers: [{name: app, image: node, env: [{name: CFG, valueFrom: {configMapKeyRef: {name: envs, key: CFG}}}]}]
`))
		}, map[string][]string{wURN: {`env CFG (from ConfigMap "envs" key "CFG") is a codex config`, "public OpenAI/ChatGPT host"}}},
		{"-c overrides on the command line", func(t *testing.T) *Stack {
			return devStack(t, runner(t, `
containers:
- name: app
  image: node
  command: [sh, -c, "codex -c 'model_providers.litellm.base_url=\"https://api.openai.com/v1\"' -c model_provider=openai --config model_providers.litellm.env_key=OPENAI_API_KEY exec hi"]
`))
		}, map[string][]string{wURN: {
			"-c model_provider=openai selects one of codex's built-in providers",
			"-c model_providers.litellm.base_url points at api.openai.com",
			`-c model_providers.litellm.env_key is "OPENAI_API_KEY"`}}},
		{"-c overrides that repeat a key (codex takes the last)", func(t *testing.T) *Stack {
			return devStack(t, runner(t, `
containers:
- name: app
  image: node
  command: [sh, -c, "codex -c 'model_providers.x.base_url=\"https://api.openai.com/v1\"' -c model_provider=litellm -c model_provider=x exec hi"]
`))
		}, map[string][]string{wURN: {"-c model_providers.x.base_url points at api.openai.com"}}},
		{"-c overrides that cannot be read as one config", func(t *testing.T) *Stack {
			return devStack(t, runner(t, `
containers:
- name: app
  image: node
  command: [sh, -c, "codex -c model_providers=1 -c 'model_providers.x.base_url=\"https://api.openai.com/v1\"' exec hi"]
`))
		}, map[string][]string{wURN: {"codex -c overrides that cannot be read as one config"}}},
		{"-c overrides in a mounted script", func(t *testing.T) *Stack {
			return devStack(t, configMapRes(nil, "", "run", map[string]string{"run.sh": "#!/bin/sh\nexec codex -c model_providers.litellm.requires_openai_auth=true exec \"$@\"\n"}), runner(t, `
containers: [{name: app, image: node, command: [/bin/sh, /opt/run/run.sh], volumeMounts: [{name: r, mountPath: /opt/run}]}]
volumes: [{name: r, configMap: {name: run}}]
`))
		}, map[string][]string{wURN: {`script "/opt/run/run.sh"`, "requires_openai_auth=true"}}},
		{"a config.toml written by a heredoc", func(t *testing.T) *Stack {
			return devStack(t, runner(t, `
containers:
- name: app
  image: node
  command:
  - sh
  - -c
  - |
    cat > "$CODEX_HOME/config.toml" <<'EOF'
    model = "gpt-5.4"
    model_provider = "openai"
    EOF
    exec codex exec hi
`))
		}, map[string][]string{wURN: {"command/args writes a codex config in place", `model_provider "openai" is one of codex's built-in providers`}}},
		{"a heredoc that is not a codex config passes", func(t *testing.T) *Stack {
			return devStack(t, runner(t, `
containers:
- name: app
  image: node
  command: [sh, -c, "cat > /tmp/app.ini <<EOF
[server]
port = 8080
EOF
exec app"]
`))
		}, nil},
		{"harmless -c overrides pass", func(t *testing.T) *Stack {
			return devStack(t, runner(t, `
containers:
- {name: app, image: node, command: [codex, -c, model_reasoning_effort=high, -c, "model_providers.litellm.base_url=http://litellm.cloud-codex.svc.cluster.local:4000/v1", exec, hi]}
`))
		}, nil},
		{"env values that are not codex configs pass", func(t *testing.T) *Stack {
			return devStack(t, runner(t, `
containers: [{name: app, image: node, env: [{name: OPTS, value: "a=b c=d"}, {name: TOML, value: "title = \"x\""}]}]
`))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckAgentsRouteThroughLiteLLM(tc.stack(t)), tc.want)
		})
	}
}

func TestPublicOpenAIHost(t *testing.T) {
	for u, want := range map[string]bool{
		"https://api.openai.com/v1":                   true,
		"https://chatgpt.com/backend-api/codex":       true,
		"https://API.OpenAI.com.":                     true,
		"api.openai.com/v1":                           true,
		"https://eastus.api.openai.com/v1":            true,
		"http://litellm.ns.svc.cluster.local:4000/v1": false,
		"https://openai.com.evil.example/v1":          false,
		"https://notopenai.com/v1":                    false,
	} {
		if _, got := publicOpenAIHost(u); got != want {
			t.Errorf("publicOpenAIHost(%q) = %v, want %v", u, got, want)
		}
	}
}

// Azure OpenAI is a public OpenAI host; the rest of Azure AI services is not.
func TestPublicOpenAIHostAzure(t *testing.T) {
	for u, want := range map[string]bool{
		"https://team-a.openai.azure.com/openai/v1":                 true,
		"https://team-a.cognitiveservices.azure.com/openai/v1":      true,
		"https://team-a.cognitiveservices.azure.com/speechtotext/x": false,
		"https://team-a.cognitiveservices.azure.com/":               false,
		"https://openai-proxy.example.com/v1":                       false,
	} {
		if _, got := publicOpenAIHost(u); got != want {
			t.Errorf("publicOpenAIHost(%q) = %v, want %v", u, got, want)
		}
	}
}
