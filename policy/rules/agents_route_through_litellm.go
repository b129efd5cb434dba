package rules

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
	"cloud-codex/litellmconfig"
)

// RuleAgentsRouteThroughLiteLLM guards the only model path ADR-014 allows: codex → the
// stack's in-cluster LiteLLM → ChatGPT. Every ConfigMap carrying a codex config.toml (key
// config.toml, or any *.toml key that parses as a codex config, outside the auth pool) is
// parsed with the shared codexconfig model and must:
//   - name a model_provider that is not one of codex's built-ins (openai, ...), with a
//     [model_providers.<id>] table;
//   - point that provider's base_url at this stack's LiteLLM Service,
//     http://<svc>.<ns>.svc.cluster.local:<port>/v1 (when the stack has one: a Service
//     child of a LiteLLMAuthPool);
//   - use wire_api = "responses", env_key = "LITELLM_API_KEY", and not
//     requires_openai_auth = true (which would make codex want a ChatGPT login in the pod);
//   - ask for a model the auth pool's LiteLLM config.yaml maps to an unprefixed chatgpt/
//     model (a chatgpt/responses/ alias fails with 400 on the responses path; in the
//     original system that silently sent an agent's traffic to a fallback model for days).
//
// The provider and model are the ones codex runs with: the active profile's (the config's
// `profile`, or -p/--profile on a codex command line) replace the root ones
// (codexconfig.Config.Effective). Every other provider table must pass the same provider
// checks and no other profile may name a built-in provider: `-c model_provider=spare` or
// `-p other` selects them at run time. These [profiles.*] tables and the `profile` key are
// how codex before 0.134.0 reads profiles (a codex version is configurable); from 0.134.0
// `--profile NAME` lays $CODEX_HOME/NAME.config.toml over config.toml instead, so a
// Secret/ConfigMap key NAME.config.toml is judged as such a layer: by what it sets, like
// -c overrides (docs/upstream-facts-cited.md).
//
// A codex config whose provider is not a LiteLLM provider at all always violates, and so
// does a base_url on a public OpenAI or ChatGPT host (openai.com, chatgpt.com and their
// subdomains), whether or not the stack has a pool to compare with.
//
// Where a codex config can appear (issue 18), outside the auth pool: a Secret or ConfigMap
// value (key config.toml, or any *.toml key that parses as a codex config), an env value of
// a workload (literal, or resolved from the stack's ConfigMaps/Secrets) that parses as a
// codex config, a config written in place (a here-document or a multi-line argument of a
// command line or mounted script), and codex's -c/--config overrides on any command line
// or mounted script of a workload that runs codex (only what an override sets is judged).
const RuleAgentsRouteThroughLiteLLM = "agents-route-through-litellm"

func agentsRouteThroughLiteLLMPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleAgentsRouteThroughLiteLLM, policyx.StackValidationPolicyArgs{
		Description: "Every codex config (ConfigMap, Secret, env value, -c override) routes through this stack's in-cluster LiteLLM " +
			"(provider base_url, wire_api responses, env_key LITELLM_API_KEY, a model LiteLLM maps to chatgpt/<model>).",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckAgentsRouteThroughLiteLLM(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// CheckAgentsRouteThroughLiteLLM returns one violation per codex config that does not
// route through the stack's LiteLLM, and one per unparsable LiteLLM config of an auth pool.
func CheckAgentsRouteThroughLiteLLM(s *Stack) []Violation {
	var out []Violation
	target := liteLLMTarget{Endpoints: s.litellmEndpoints()}
	for _, c := range s.litellmConfigs() {
		if c.Err != nil {
			out = append(out, Violation{URN: c.Res.URN, Message: fmt.Sprintf(
				"the auth pool's LiteLLM %s does not parse, so no agent model can be checked: %v", litellmconfig.FileName, c.Err)})
			continue
		}
		target.Configs = append(target.Configs, c)
	}
	for _, f := range s.codexConfigFiles() {
		// A TOML that sets only model or profile is a codex config where codex reads it (a
		// config.toml, a profile file, or mounted as one in a codex home); elsewhere only a
		// codex-specific key makes it one (looksLikeCodexConfig).
		known := (f.Role == RoleAgent && f.Key == codexconfig.FileName) || f.Landing != "" ||
			(f.landsWhereCodexReads() && f.Err == nil && setsModelOrProfile(f.Cfg))
		problems, isCodex := checkCodexConfig(f.Cfg, f.Err, f.Name(), known, target)
		if isProfileFile(f.Name()) && f.Err == nil && (looksLikeCodexConfig(f.Cfg) || setsModelOrProfile(f.Cfg)) {
			// A profile file (codex --profile NAME) is a layer over config.toml.
			problems, isCodex = checkConfigLayer(f.Cfg, target, ""), true
		}
		if !isCodex || len(problems) == 0 {
			continue
		}
		out = append(out, Violation{URN: f.Res.URN, Message: fmt.Sprintf(
			"%s %s key %s is a codex config that does not route through this stack's LiteLLM:\n  - %s",
			f.Kind, quote(s.metaOf(f.Res).Name), f.Where(), strings.Join(problems, "\n  - "))})
	}
	for _, sw := range s.workloads() {
		if s.isAuthHolder(sw) {
			continue
		}
		if problems := s.inlineCodexConfigProblems(sw, target); len(problems) > 0 {
			out = append(out, Violation{URN: sw.Res.URN, Message: fmt.Sprintf(
				"%s carries codex config that does not route through this stack's LiteLLM:\n  - %s",
				sw, strings.Join(problems, "\n  - "))})
		}
	}
	return out
}

// inlineCodexConfigProblems checks the codex config a workload carries outside files: env
// values that are codex configs, configs written in place, and -c overrides on what its
// containers run.
func (s *Stack) inlineCodexConfigProblems(sw StackWorkload, t liteLLMTarget) []string {
	var problems []string
	for _, c := range sw.W.Pod.AllContainers() {
		env := s.resolvedEnv(sw.W.Meta.Namespace, c.C)
		for _, ic := range s.inlineCodexConfigs(sw, c.C, env) {
			switch ic.Kind {
			case inlineEnv:
				ps, _ := checkCodexConfig(ic.Cfg, nil, ic.Name, true, t)
				for _, p := range ps {
					problems = append(problems, fmt.Sprintf("%s env %s (%s) is a codex config: %s", c, ic.Name, ic.From, p))
				}
			case inlineDoc:
				ps, _ := checkCodexConfig(ic.Cfg, nil, "inline", true, t)
				for _, p := range ps {
					problems = append(problems, fmt.Sprintf("%s %s writes a codex config in place: %s", c, ic.Where, p))
				}
			case inlineOSS:
				problems = append(problems, fmt.Sprintf("%s %s runs codex with %s, which uses codex's built-in open-source provider "+
					"(ollama or lmstudio, at CODEX_OSS_BASE_URL), not LiteLLM, whatever the config says", c, ic.Where, ic.Name))
			case inlineOverrides:
				if ic.Err != nil {
					// Overrides the pack cannot read as one config (e.g. a key set both as a value
					// and as a table) could send model calls anywhere: never pass them unread.
					problems = append(problems, fmt.Sprintf("%s %s: codex -c overrides that cannot be read as one config (%v); set each key once so the pack can check where model calls go", c, ic.Where, ic.Err))
					continue
				}
				for _, p := range checkCodexOverrides(ic.Cfg, t) {
					problems = append(problems, fmt.Sprintf("%s %s: %s", c, ic.Where, p))
				}
			}
		}
	}
	return problems
}

// liteLLMTarget is what the stack says about its LiteLLM: the in-cluster endpoints of the
// auth pools' Services and their parsed config.yaml.
type liteLLMTarget struct {
	Endpoints []LiteLLMEndpoint
	Configs   []PoolLiteLLMConfig
}

// CheckCodexConfig checks one TOML text found under key in a ConfigMap. A text is taken
// for a codex config when it is known to be one (the config.toml of a CloudCodexAgent's
// ConfigMap) or sets any of codex's keys; a text under the key config.toml that does not
// parse is reported too (a broken codex config must not pass for "not codex"). isCodex is
// false for other TOML documents.
func CheckCodexConfig(text, key string, known bool, t liteLLMTarget) (problems []string, isCodex bool) {
	cfg, err := codexconfig.Parse(text)
	return checkCodexConfig(cfg, err, key, known, t)
}

// checkCodexConfig is CheckCodexConfig on an already parsed text (cfg and the parse error).
func checkCodexConfig(cfg codexconfig.Config, err error, key string, known bool, t liteLLMTarget) (problems []string, isCodex bool) {
	if err != nil {
		if known || key == codexconfig.FileName {
			return []string{fmt.Sprintf("it does not parse as a codex %s: %v", codexconfig.FileName, err)}, true
		}
		return nil, false
	}
	if !known && !looksLikeCodexConfig(cfg) {
		return nil, false
	}

	// What codex runs with: the root values, replaced by the active profile's.
	eff, profile, ok := cfg.Effective("")
	if !ok {
		problems = append(problems, fmt.Sprintf("profile %q has no [profiles.%s] table (codex refuses to start)", profile, profile))
	}
	where := ""
	if profile != "" && ok {
		where = fmt.Sprintf(" (with the active profile %q)", profile)
	}
	id := eff.ModelProvider
	provider, hasTable := eff.ActiveProvider()
	switch {
	case id == "":
		problems = append(problems, "model_provider is not set"+where+", so codex uses its built-in \"openai\" provider, not LiteLLM")
	case codexconfig.IsBuiltinProvider(id):
		problems = append(problems, fmt.Sprintf("model_provider%s %q is one of codex's built-in providers, not LiteLLM", where, id))
	case !hasTable:
		problems = append(problems, fmt.Sprintf("model_provider%s %q has no [model_providers.%s] table", where, id, id))
	}
	if id != "" && !codexconfig.IsBuiltinProvider(id) && hasTable {
		problems = append(problems, providerProblems(id, provider, t)...)
		problems = append(problems, modelProblems(eff.Model, provider.BaseURL, t)...)
	}
	// Every other provider and profile: a profile (profile =, -p) or a -c override selects
	// one at run time, so each must route through LiteLLM too.
	for _, other := range sortedProviderIDs(cfg.ModelProviders) {
		if other != id {
			problems = append(problems, providerProblems(other, cfg.ModelProviders[other], t)...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Profiles)) {
		if name == profile {
			continue
		}
		p := cfg.Profiles[name]
		table := fmt.Sprintf("[profiles.%s]", name)
		switch pid := p.ModelProvider; {
		case pid == "":
		case codexconfig.IsBuiltinProvider(pid):
			problems = append(problems, fmt.Sprintf("%s model_provider %q is one of codex's built-in providers, not LiteLLM (codex -p %s selects it)", table, pid, name))
		default:
			if _, ok := cfg.ModelProviders[pid]; !ok {
				problems = append(problems, fmt.Sprintf("%s model_provider %q has no [model_providers.%s] table", table, pid, pid))
			}
		}
		if p.Model != "" {
			pe, _, _ := cfg.Effective(name)
			if pp, ok := pe.ActiveProvider(); ok {
				for _, m := range modelProblems(pe.Model, pp.BaseURL, t) {
					problems = append(problems, table+" "+m)
				}
			}
		}
	}
	return problems, true
}

// looksLikeCodexConfig reports whether a parsed TOML document sets a key only codex's
// config has (model_provider, model_providers, approval_policy, sandbox_mode, mcp_servers,
// profiles, ...). `model` and `profile` alone are every other program's settings too (a
// reranker's settings.toml with model = "BAAI/bge-reranker-base" and profile = "prod"):
// they make a codex config only where codex reads the file (setsModelOrProfile, with
// codexConfigFile.landsWhereCodexReads). A config that only says where codex keeps its
// login counts: outside the auth pool it prepares a ChatGPT login, and without a LiteLLM
// provider codex would use that login.
func looksLikeCodexConfig(c codexconfig.Config) bool {
	return c.ModelProvider != "" || len(c.ModelProviders) > 0 || c.ApprovalPolicy != "" ||
		c.SandboxMode != "" || c.CheckForUpdateOnStartup != nil || len(c.MCPServers) > 0 ||
		c.CLIAuthCredentialsStore != "" || len(c.Profiles) > 0
}

// setsModelOrProfile reports whether a TOML sets the keys codex shares with other programs.
func setsModelOrProfile(c codexconfig.Config) bool { return c.Model != "" || c.Profile != "" }

// providerProblems checks a provider table: the active one, and every other (a profile or
// a -c override can select it).
func providerProblems(id string, p codexconfig.ModelProvider, t liteLLMTarget) []string {
	var problems []string
	table := fmt.Sprintf("[model_providers.%s]", id)
	switch {
	case strings.TrimSpace(p.BaseURL) == "":
		problems = append(problems, table+" has no base_url")
	case isPublic(p.BaseURL):
		host, _ := publicOpenAIHost(p.BaseURL)
		problems = append(problems, fmt.Sprintf("%s base_url %q points at %s, a public OpenAI/ChatGPT host: agents reach "+
			"models only through the stack's LiteLLM", table, p.BaseURL, host))
	case len(t.Endpoints) > 0 && len(matchingEndpoints(p.BaseURL, t.Endpoints)) == 0:
		want := make([]string, 0, len(t.Endpoints))
		for _, e := range t.Endpoints {
			want = append(want, e.URL())
		}
		problems = append(problems, fmt.Sprintf("%s base_url %q is not this stack's LiteLLM Service (want %s)",
			table, p.BaseURL, strings.Join(want, " or ")))
	}
	if p.WireAPI != codexconfig.WireAPIResponses {
		problems = append(problems, fmt.Sprintf("%s wire_api is %q, want %q", table, p.WireAPI, codexconfig.WireAPIResponses))
	}
	if p.EnvKey != contract.LiteLLMAPIKeyEnv {
		problems = append(problems, fmt.Sprintf("%s env_key is %q, want %q (the agent's LiteLLM virtual key)",
			table, p.EnvKey, contract.LiteLLMAPIKeyEnv))
	}
	if p.RequiresOpenAIAuth {
		problems = append(problems, table+" sets requires_openai_auth = true, which makes codex want a ChatGPT login in the agent")
	}
	return problems
}

func isPublic(baseURL string) bool {
	_, public := publicOpenAIHost(baseURL)
	return public
}

func matchingEndpoints(baseURL string, es []LiteLLMEndpoint) []LiteLLMEndpoint {
	var out []LiteLLMEndpoint
	for _, e := range es {
		if e.Matches(baseURL) {
			out = append(out, e)
		}
	}
	return out
}

// modelProblems checks that the model is one the auth pool maps to an unprefixed chatgpt/
// model. When base_url points at a known pool's Service, that pool's config decides;
// otherwise any pool's config may.
func modelProblems(model, baseURL string, t liteLLMTarget) []string {
	if strings.TrimSpace(model) == "" {
		return []string{"model is not set, so codex asks for its own default model, which LiteLLM does not serve"}
	}
	if len(t.Configs) == 0 {
		return nil
	}
	configs := t.Configs
	pools := map[string]bool{}
	for _, e := range matchingEndpoints(baseURL, t.Endpoints) {
		if e.Pool != "" {
			pools[e.Pool] = true
		}
	}
	if len(pools) > 0 {
		var own []PoolLiteLLMConfig
		for _, c := range t.Configs {
			if pools[c.Pool] || c.Pool == "" {
				own = append(own, c)
			}
		}
		if len(own) > 0 {
			configs = own
		}
	}
	var wrong []string
	for _, c := range configs {
		upstream, ok := c.Config.Upstream(model)
		if !ok {
			continue
		}
		if litellmconfig.IsResponsesPathModel(upstream) {
			return nil
		}
		wrong = append(wrong, upstream)
	}
	if len(wrong) > 0 {
		return []string{fmt.Sprintf("model %q maps to %s in the auth pool's LiteLLM config, not an unprefixed %s<model> "+
			"(a %s alias fails on the responses path)", model, strings.Join(quoteAll(wrong), ", "),
			litellmconfig.ChatGPTPrefix, litellmconfig.ChatGPTResponsesPrefix)}
	}
	return []string{fmt.Sprintf("model %q is not in the auth pool's LiteLLM model_list", model)}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
