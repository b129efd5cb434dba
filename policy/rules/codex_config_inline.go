package rules

import (
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
)

// Codex config given inline rather than in a config.toml file (issue 18: an agent's codex
// config checked wherever it appears): codex's -c / --config key=value overrides on a
// command line that runs codex, and a config written in place by a here-document or a
// multi-line argument. codex parses each value as TOML and, if that fails, takes
// it as a string (openai/codex codex-rs/common/src/config_override.rs); dotted keys address
// tables. Each override is turned into one TOML line and parsed with the shared
// codexconfig model, so the checks read the same typed fields as for a file.

// inlineKind says where a codex config given inline was found.
type inlineKind int

const (
	inlineEnv       inlineKind = iota // an env value that parses as a codex config
	inlineDoc                         // a here-document or multi-line argument written in place
	inlineOverrides                   // codex's -c/--config overrides (and -p) on a command line
	inlineOSS                         // codex --oss / --local-provider on a command line
)

// inlineConfig is one codex config a container carries outside files.
type inlineConfig struct {
	Kind inlineKind
	// Where is what the container runs (command/args, a hook, a mounted script) for a
	// document or overrides; Name and From the env variable and its source for an env value.
	Where, Name, From string
	Cfg               codexconfig.Config
	// Err is set for overrides that do not read as one config (Cfg is then empty).
	Err error
}

// inlineCodexConfigs returns the codex configs a container carries outside files: env
// values (resolved against the stack) that parse as codex configs, configs written in
// place by what it runs (inlineTOMLDocs), and the -c overrides of its codex command lines.
func (s *Stack) inlineCodexConfigs(sw StackWorkload, c Container, env map[string]EnvValue) []inlineConfig {
	var out []inlineConfig
	for _, e := range c.Env {
		v, ok := env[e.Name]
		if !ok || !v.Known || !strings.Contains(v.Value, "=") {
			continue
		}
		cfg, err := s.codexConfig(v.Value)
		if err != nil || !looksLikeCodexConfig(cfg) {
			continue
		}
		out = append(out, inlineConfig{Kind: inlineEnv, Name: e.Name, From: v.From, Cfg: cfg})
	}
	for _, run := range s.containerScripts(sw, c, env) {
		var argv []string
		for _, cmd := range c.Commands() {
			if cmd.Where == run.Where {
				argv = cmd.Argv
			}
		}
		for _, doc := range inlineTOMLDocs(run.Text, argv) {
			cfg, err := s.codexConfig(doc.Text)
			if err != nil || !(looksLikeCodexConfig(cfg) || doc.CodexFile && setsModelOrProfile(cfg)) {
				continue
			}
			out = append(out, inlineConfig{Kind: inlineDoc, Where: run.Where, Cfg: cfg})
		}
		if flag := codexOSSFlag(run.Text); flag != "" {
			out = append(out, inlineConfig{Kind: inlineOSS, Where: run.Where, Name: flag})
		}
		facts := s.factsOf(run.Text)
		if !facts.hasConfig {
			continue
		}
		cfg, err := s.codexConfig(facts.overrides)
		out = append(out, inlineConfig{Kind: inlineOverrides, Where: run.Where, Cfg: cfg, Err: err})
	}
	return out
}

// mcpServerRuns returns what a codex config makes codex start: each [mcp_servers.<id>]'s
// command and args as one command line, and its env as assignments (NAME=value), ready to
// scan like what a container runs. codex starts them in the agent's pod, with the env the
// table gives them.
func mcpServerRuns(cfg codexconfig.Config) []scriptRun {
	var out []scriptRun
	for _, id := range slices.Sorted(maps.Keys(cfg.MCPServers)) {
		srv := cfg.MCPServers[id]
		var text strings.Builder
		text.WriteString(strings.Join(append([]string{srv.Command}, srv.Args...), " "))
		for _, k := range slices.Sorted(maps.Keys(srv.Env)) {
			text.WriteString("\n" + k + "=" + srv.Env[k])
		}
		out = append(out, scriptRun{Where: "[mcp_servers." + id + "]", Text: text.String()})
	}
	return out
}

// codexOSSFlag returns the flag of a codex invocation in text that selects codex's built-in
// open-source provider (--oss, --local-provider), "" if none. codex 0.171.0 (`codex --help`,
// `codex exec --help`: "--oss  Use open-source provider", "--local-provider <OSS_PROVIDER>
// Specify which local provider to use (lmstudio or ollama)"; the base URL comes from
// CODEX_OSS_BASE_URL / CODEX_OSS_PORT, both strings in the binary): run by hand with the
// agents' LiteLLM config.toml, `codex exec --oss` ignores its model_provider and fails with
// "OSS setup failed: No running Ollama server detected" (docs/upstream-facts-cited.md). So
// --oss sends model calls past LiteLLM whatever the config says.
func codexOSSFlag(text string) string {
	if !strings.Contains(text, "--oss") && !strings.Contains(text, "--local-provider") {
		return ""
	}
	for _, args := range codexInvocations(text) {
		for _, a := range args {
			if a = trimListPunct(a); a == "--oss" || a == "--local-provider" || strings.HasPrefix(a, "--local-provider=") {
				return a
			}
		}
	}
	return ""
}

// codexOverrides returns the -c/--config overrides of every codex invocation in a text, as
// one TOML document.
func codexOverrides(text string) (doc string, found bool) {
	// codex applies overrides in order, a later one for the same key replacing the earlier
	// (config_override.rs): keep the last line per key, in first-seen order, so a repeated
	// key neither breaks the TOML document nor hides the value codex really uses.
	var keys []string
	lineOf := map[string]string{}
	for _, args := range codexInvocations(text) {
		for j := 0; j < len(args); j++ {
			tok := args[j]
			var kv string
			switch {
			case tok == "-c" || tok == "--config":
				if j+1 < len(args) {
					kv = args[j+1]
					j++
				}
			case strings.HasPrefix(tok, "--config="):
				kv = strings.TrimPrefix(tok, "--config=")
			case tok == "-p" || tok == "--profile" || strings.HasPrefix(tok, "--profile="):
				// The active profile; the command line's wins over the config's `profile`.
				name, ok := strings.CutPrefix(tok, "--profile=")
				if !ok && j+1 < len(args) {
					name = args[j+1]
					j++
				}
				if name != "" {
					kv = "profile=" + name
				}
			default:
				continue
			}
			key, value, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(key) == "" {
				continue
			}
			// The word scan splits a TOML array at its spaces (["login", "--device-auth"]
			// arrives as [login, and --device-auth]): take the words up to its closing bracket.
			if strings.HasPrefix(strings.TrimSpace(value), "[") {
				for strings.Count(value, "[") > strings.Count(value, "]") && j+1 < len(args) {
					j++
					value += " " + args[j]
				}
			}
			k := overrideKey(strings.TrimSpace(key))
			if _, seen := lineOf[k]; !seen {
				keys = append(keys, k)
			}
			lineOf[k] = overrideLine(k, strings.TrimSpace(value))
		}
	}
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		lines = append(lines, lineOf[k])
	}
	return strings.Join(lines, "\n"), len(lines) > 0
}

// overrideKey is a -c key as a TOML dotted key: codex splits it at every "." and takes
// each part literally (config_override.rs), so each part is quoted; a part with a space or
// other character TOML's bare keys refuse stays the same key.
func overrideKey(key string) string {
	parts := strings.Split(key, ".")
	for i, p := range parts {
		b, err := toml.Marshal(map[string]string{"v": p})
		if err != nil {
			continue
		}
		_, quoted, _ := strings.Cut(strings.TrimSpace(string(b)), "= ")
		parts[i] = quoted
	}
	return strings.Join(parts, ".")
}

// overrideLine is one override as a TOML line: the value as TOML if it parses, else as a
// string, as codex does. An array whose quotes the word scan dropped ([login, --x]) is
// read as the array of strings it was written as.
func overrideLine(key, value string) string {
	var probe map[string]any
	if toml.Unmarshal([]byte("v = "+value), &probe) == nil {
		return key + " = " + value
	}
	inner, ok := strings.CutPrefix(value, "[")
	if inner, closed := strings.CutSuffix(inner, "]"); ok && closed && !strings.ContainsAny(inner, "[]{}") {
		var elems []string
		for _, e := range strings.Split(inner, ",") {
			if e = strings.TrimSpace(e); e != "" {
				elems = append(elems, e)
			}
		}
		if b, err := toml.Marshal(map[string][]string{"v": elems}); err == nil {
			if _, arr, ok := strings.Cut(strings.TrimSpace(string(b)), "= "); ok {
				return key + " = " + arr
			}
		}
	}
	b, err := toml.Marshal(map[string]string{"v": value})
	if err != nil {
		return key + ` = ""`
	}
	_, quoted, _ := strings.Cut(strings.TrimSpace(string(b)), "= ")
	return key + " = " + quoted
}

// checkCodexOverrides checks inline overrides: only what they set can be judged (the rest
// comes from a config file checked on its own).
func checkCodexOverrides(cfg codexconfig.Config, t liteLLMTarget) []string {
	return checkConfigLayer(cfg, t, "-c ")
}

// checkConfigLayer checks a layer codex puts over a config file (-c overrides, a profile
// file): only what it sets. set prefixes each key in messages ("-c " for an override).
func checkConfigLayer(cfg codexconfig.Config, t liteLLMTarget, set string) []string {
	var problems []string
	if id := cfg.ModelProvider; id != "" && codexconfig.IsBuiltinProvider(id) {
		problems = append(problems, set+"model_provider="+id+" selects one of codex's built-in providers, not LiteLLM")
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Profiles)) {
		id := cfg.Profiles[name].ModelProvider
		if id == "" || !codexconfig.IsBuiltinProvider(id) {
			continue
		}
		active := ""
		if name == cfg.Profile {
			active = ", the active profile (-p " + name + ")"
		}
		problems = append(problems, set+"profiles."+name+".model_provider="+id+" selects one of codex's built-in providers, not LiteLLM"+active)
	}
	for _, id := range sortedProviderIDs(cfg.ModelProviders) {
		p := cfg.ModelProviders[id]
		table := set + "model_providers." + id
		if p.BaseURL != "" {
			if host, public := publicOpenAIHost(p.BaseURL); public {
				problems = append(problems, table+".base_url points at "+host+", a public OpenAI/ChatGPT host, not LiteLLM")
			} else if len(t.Endpoints) > 0 && len(matchingEndpoints(p.BaseURL, t.Endpoints)) == 0 {
				problems = append(problems, table+".base_url "+quote(p.BaseURL)+" is not this stack's LiteLLM Service")
			}
		}
		if p.EnvKey != "" && p.EnvKey != contract.LiteLLMAPIKeyEnv {
			problems = append(problems, table+".env_key is "+quote(p.EnvKey)+", want "+quote(contract.LiteLLMAPIKeyEnv))
		}
		if p.RequiresOpenAIAuth {
			problems = append(problems, table+".requires_openai_auth=true makes codex want a ChatGPT login in the pod")
		}
	}
	return problems
}

// profileFileSuffix ends a codex profile file: `codex --profile NAME` (codex 0.134.0 and
// later) lays $CODEX_HOME/NAME.config.toml over config.toml, so such a file is judged by
// what it sets, as -c overrides are.
const profileFileSuffix = ".config.toml"

// isProfileFile reports whether a Secret/ConfigMap key names a codex profile file.
func isProfileFile(key string) bool {
	return strings.HasSuffix(key, profileFileSuffix) && key != profileFileSuffix[1:]
}

func sortedProviderIDs(m map[string]codexconfig.ModelProvider) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// publicOpenAIHosts are the domains of OpenAI's and ChatGPT's public endpoints. A codex
// provider pointed at them bypasses LiteLLM whatever else the stack holds.
// Azure OpenAI (<resource>.openai.azure.com) serves OpenAI's models under an Azure key:
// the same bypass of the pool. *.cognitiveservices.azure.com is every Azure AI service
// (speech, vision, language...), so a host there counts only when the URL's path is Azure
// OpenAI's (/openai/...), which is how such a resource serves OpenAI models.
var publicOpenAIHosts = []string{"openai.com", "chatgpt.com", "oaiusercontent.com", "openai.azure.com"}

// azureAIServicesHost is the shared domain of Azure AI services (see publicOpenAIHosts).
const azureAIServicesHost = "cognitiveservices.azure.com"

// publicOpenAIHost reports whether a base_url's host is (a subdomain of) a public
// OpenAI/ChatGPT domain, and returns the host.
func publicOpenAIHost(baseURL string) (string, bool) {
	raw := strings.TrimSpace(baseURL)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	for _, d := range publicOpenAIHosts {
		if host == d || strings.HasSuffix(host, "."+d) {
			return host, true
		}
	}
	if strings.HasSuffix(host, "."+azureAIServicesHost) && (u.Path == "/openai" || strings.HasPrefix(u.Path, "/openai/")) {
		return host, true
	}
	return host, false
}

// heredocStart is the start of a here-document: <<EOF, <<-EOF, <<'EOF', <<"EOF".
var heredocStart = regexp.MustCompile(`<<-?[ \t]*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)

// inlineTOMLDocs returns the texts in what a container runs that may be a config file
// written in place (the original system wrote config.toml from a shell heredoc): every
// here-document body, and every command-line word that spans several lines.
//
// CodexFile marks a here-document whose command line names a codex config file
// (config.toml, NAME.config.toml): there a TOML that sets only model or profile is one.
func inlineTOMLDocs(text string, argv []string) []tomlDoc {
	var out []tomlDoc
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := heredocStart.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		var body []string
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == m[1] {
				i = j
				break
			}
			body = append(body, lines[j])
		}
		out = append(out, tomlDoc{Text: strings.Join(body, "\n"), CodexFile: namesCodexConfigFile(m[0], lines[i])})
	}
	for _, a := range argv {
		if strings.Contains(a, "\n") && strings.Contains(a, "=") && !heredocStart.MatchString(a) {
			out = append(out, tomlDoc{Text: a})
		}
	}
	return out
}

// tomlDoc is one text inlineTOMLDocs found.
type tomlDoc struct {
	Text      string
	CodexFile bool
}

// namesCodexConfigFile reports whether a here-document's command line (without its
// marker) names a codex config file: a word whose base name is config.toml or
// NAME.config.toml.
func namesCodexConfigFile(marker, line string) bool {
	for _, w := range strings.Fields(strings.Replace(line, marker, " ", 1)) {
		w = strings.Trim(w, `"'>;&|()`)
		if isCodexConfigFileName(path.Base(w)) {
			return true
		}
	}
	return false
}
