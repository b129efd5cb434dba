package components

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/contract"
)

// MaxAgentNameLen keeps every derived name valid: "cloud-codex-<name>-litellm-key" and the
// pod names Kubernetes derives from "cloud-codex-<name>" stay within DNS limits.
const MaxAgentNameLen = 30

// CloudCodexAgentArgs is the public surface of CloudCodexAgent. Zero values take the
// documented defaults (filled in withDefaults). It is also one entry of the stack config's
// agents key: the json tags are the keys (docs/config-reference.md); fields tagged json:"-"
// are not config, and the stack or main.go fills them.
// The pulumi tags name the inputs a component package would expose: the config key where
// there is one, so a program and a stack file spell every field alike.
type CloudCodexAgentArgs struct {
	// Name of the agent: a DNS-1123 label of at most 30 characters. It is also the agent's
	// instanceId in the platform registry.
	Name string `json:"name" pulumi:"name"`
	// Namespace the agent's objects live in (it must exist). Config: the stack's namespace.
	Namespace string `json:"-" pulumi:"namespace"`
	// Replicas: 1 runs the agent, 0 parks it (its PVC and state stay). Default 1. More
	// than 1 is refused: the state PVC is ReadWriteOnce, one writer.
	Replicas *int `json:"replicas" pulumi:"replicas"`
	// Storage of the agent's state PVC mounted at /state.
	Storage AgentStorageArgs `json:"storage" pulumi:"storage"`
	// Codex CLI settings.
	Codex AgentCodexArgs `json:"codex" pulumi:"codex"`
	// LiteLLM connection: every model call goes there.
	LiteLLM AgentLiteLLMArgs `json:"litellm" pulumi:"litellm"`
	// Registry is the agent platform the agent works for.
	Registry AgentRegistryArgs `json:"registry" pulumi:"registry"`
	// Runner is what runs after boot.
	Runner AgentRunnerArgs `json:"runner" pulumi:"runner"`
	// Image of the agent container, pinned by tag. Default node:22-bookworm-slim (codex
	// is a Node.js package). It must provide sh, node and npm and a uid-1000 user.
	Image string `json:"image" pulumi:"image"`
	// Resources of the agent container. Default requests 50m/256Mi, limits 500m/2Gi.
	Resources ResourcesArgs `json:"resources" pulumi:"resources"`
	// Env is extra literal environment for the runner. Credentials do not belong here:
	// names this program sets, and ChatGPT/OpenAI credential names, are refused.
	Env map[string]string `json:"env" pulumi:"env"`
	// SkipAwait marks every object ready at once (API-only clusters). Default false. Config:
	// the stack's cluster.skipAwait.
	SkipAwait bool `json:"-" pulumi:"skipAwait"`
	// Placement of the agent's pods (and of its key registration Job): node selector,
	// tolerations, affinity, priority class. Default: none.
	Placement PlacementArgs `json:"placement" pulumi:"placement"`
	// Scripts is the ConfigMap of the agent pod's scripts shared by the stack's agents.
	// nil: the agent declares its own ConfigMap cloud-codex-<name>-scripts (a standalone
	// agent).
	Scripts *CloudCodexAgentScripts `json:"-" pulumi:"-"`
}

// AgentStorageArgs sizes the state PVC.
type AgentStorageArgs struct {
	// Size of the PVC. Default 1Gi. Growing it later expands in place where the storage
	// class allows; the PVC is never replaced.
	Size string `json:"size" pulumi:"size"`
	// StorageClass; empty uses the cluster default.
	StorageClass string `json:"storageClass" pulumi:"storageClass"`
}

// AgentCodexArgs configures the codex CLI.
type AgentCodexArgs struct {
	// Version of @openai/codex, pinned. Default 0.171.0.
	Version string `json:"version" pulumi:"version"`
	// Model is the LiteLLM alias codex asks for. Default: LiteLLM.DefaultModel (the auth
	// pool's responses-path alias).
	Model string `json:"model" pulumi:"model"`
	// MCPServers codex may start, by id.
	MCPServers map[string]MCPServerArgs `json:"mcpServers" pulumi:"mcpServers"`
}

// MCPServerArgs is one MCP server. MCP children do not inherit codex's environment (only
// its short default list: HOME, PATH, LANG, ...; docs/upstream-facts-cited.md), so
// everything they need is passed explicitly: Env for plain values, SecretEnv for values
// from Secrets (they reach the pod env and are forwarded by name, never written to config).
type MCPServerArgs struct {
	Command   string               `json:"command" pulumi:"command"`
	Args      []string             `json:"args" pulumi:"args"`
	Env       map[string]string    `json:"env" pulumi:"env"`
	SecretEnv map[string]SecretRef `json:"secretEnv" pulumi:"secretEnv"`
}

// AgentLiteLLMArgs connects the agent to LiteLLM.
type AgentLiteLLMArgs struct {
	// BaseURL of LiteLLM's OpenAI-compatible API (".../v1"), normally LiteLLMAuthPool.BaseURL.
	BaseURL pulumi.StringInput `json:"-" pulumi:"baseUrl"`
	// DefaultModel is used when Codex.Model is empty: the pool's responses-path alias
	// (config: litellm.responsesAlias, defaulted).
	DefaultModel string `json:"-" pulumi:"defaultModel"`
	// KeySecret holds the agent's LiteLLM virtual key. Default
	// {cloud-codex-<name>-litellm-key, key}. Optional at boot: the pod starts without it
	// and warns loudly that model calls fail until it exists. A Pulumi-managed key (see
	// ManageKey) always lives under the default; another name needs ManageKey false.
	KeySecret SecretRef `json:"keySecret" pulumi:"keySecret"`
	// ModelAllowlist is what the agent's key must allow. Default: [the agent's model]. It
	// must contain the agent's model (or LiteLLM's "all-proxy-models").
	ModelAllowlist []string `json:"modelAllowlist" pulumi:"modelAllowlist"`
	// ManageKey: true (the default) makes Pulumi own the agent's key: it generates the
	// value ("sk-" and 48 random alphanumerics, kept as a Pulumi secret), writes it to the
	// KeySecret Secret (a child of the agent) and registers it in LiteLLM with
	// ModelAllowlist from a Job (docs/virtual-keys.md). false: the key is operator-managed:
	// the operator creates the Secret and the key in LiteLLM, the outputs keep the
	// `kubectl create secret` command, and nothing is registered.
	ManageKey *bool `json:"manageKey" pulumi:"manageKey"`
	// AdminURL is where the registration Job reaches LiteLLM's key API, with or without
	// the "/v1" suffix. Default: BaseURL.
	AdminURL pulumi.StringInput `json:"-" pulumi:"adminUrl"`
	// MasterKeySecret is the auth pool's master-key Secret (LiteLLMAuthPool.MasterKeySecretName
	// and MasterKeySecretKey): the registration Job's credential. Required for a managed key.
	MasterKeySecret SecretKeyInput `json:"-" pulumi:"masterKeySecret"`
	// RegistrarSource is the ConfigMap holding the key registrar's source
	// (LiteLLMKeyRegistrar.SourceConfigMapName). Required for a managed key.
	RegistrarSource pulumi.StringInput `json:"-" pulumi:"registrarSource"`
}

// KeyManaged reports whether Pulumi manages the agent's LiteLLM key (ManageKey, default true).
func (l AgentLiteLLMArgs) KeyManaged() bool { return l.ManageKey == nil || *l.ManageKey }

// AgentRegistryArgs is the agent platform registration.
type AgentRegistryArgs struct {
	// APIURL of the platform (required).
	APIURL string `json:"apiUrl" pulumi:"apiUrl"`
	// PodID the agent belongs to (required).
	PodID string `json:"podId" pulumi:"podId"`
	// TokenSecret holds the runtime token. Default {cloud-codex-<name>-token, token}.
	// Required: the pod does not start without it.
	TokenSecret SecretRef `json:"tokenSecret" pulumi:"tokenSecret"`
}

// AgentRunnerArgs is what runs after boot.
type AgentRunnerArgs struct {
	// Command and its arguments. Default: an idle loop (agent-idle-runner.sh) that keeps
	// codex installed and configured for `kubectl exec ... codex exec` until the platform's
	// agent loop is configured.
	Command []string `json:"command" pulumi:"command"`
	// Packages are extra npm packages the runner needs, each pinned ("name@1.2.3").
	Packages []string `json:"packages" pulumi:"packages"`
	// Git installs the runner from a git repository at a pinned commit (the agent
	// platform's CLI: `commonly agent run <name>`). nil: none.
	Git *AgentRunnerGitArgs `json:"git" pulumi:"git"`
}

// agentScriptEnv are the names the agent pod's scripts (components/scripts/agent-*.sh and
// agent-*.js) read that the agent container's env (agentEnv) does not always set: PATH, which
// agent-boot.sh extends; CLOUD_CODEX_CONFIG_DIR and CLOUD_CODEX_SCRIPTS_DIR, which say where
// config.toml, the platform CLI's files and the scripts come from (a test override, never
// config: set by a user they would swap the agent's config.toml for another one); RUNNER_DIR,
// whose bin directory goes on PATH; and the install step's RUNNER_GIT_*.
// TestEveryNameTheScriptsReadIsReserved keeps this list in step with the scripts.
var agentScriptEnv = []string{"PATH", "CLOUD_CODEX_CONFIG_DIR", "CLOUD_CODEX_SCRIPTS_DIR", "RUNNER_DIR",
	"RUNNER_GIT_URL", "RUNNER_GIT_REF", "RUNNER_GIT_PATH"}

// reservedAgentEnv are names the component sets itself, names its scripts read
// (agentScriptEnv), or credentials ADR-014 forbids.
var reservedAgentEnv = func() map[string]bool {
	names := map[string]bool{
		"HOME": true, contract.CodexHomeEnv: true, contract.LiteLLMAPIKeyEnv: true, "TOOLS_DIR": true, "CODEX_VERSION": true,
		"RUNNER_PACKAGES": true, "LITELLM_KEY_SECRET": true,
		contract.AgentNameEnv: true, contract.InstanceIDEnv: true, "COMMONLY_POD_ID": true,
		"COMMONLY_API_URL": true, "COMMONLY_RUNTIME_TOKEN": true,
	}
	for _, n := range agentScriptEnv {
		names[n] = true
	}
	for _, n := range contract.ChatGPTCredentialEnv {
		names[n] = true
	}
	return names
}()

// withDefaults returns a copy with every default filled in: the one place defaults live.
func (a CloudCodexAgentArgs) withDefaults() CloudCodexAgentArgs {
	if a.Replicas == nil {
		one := 1
		a.Replicas = &one
	}
	if a.Storage.Size == "" {
		a.Storage.Size = "1Gi"
	}
	if a.Codex.Version == "" {
		a.Codex.Version = DefaultCodexVersion
	}
	if a.Codex.Model == "" {
		a.Codex.Model = a.LiteLLM.DefaultModel
	}
	if a.LiteLLM.KeySecret.Name == "" {
		a.LiteLLM.KeySecret.Name = AgentLiteLLMKeySecretName(a.Name)
	}
	if a.LiteLLM.KeySecret.Key == "" {
		a.LiteLLM.KeySecret.Key = "key"
	}
	if len(a.LiteLLM.ModelAllowlist) == 0 && a.Codex.Model != "" {
		a.LiteLLM.ModelAllowlist = []string{a.Codex.Model}
	}
	if a.LiteLLM.ManageKey == nil {
		managed := true
		a.LiteLLM.ManageKey = &managed
	}
	if a.LiteLLM.AdminURL == nil {
		a.LiteLLM.AdminURL = a.LiteLLM.BaseURL
	}
	if a.Registry.TokenSecret.Name == "" {
		a.Registry.TokenSecret.Name = AgentTokenSecretName(a.Name)
	}
	if a.Registry.TokenSecret.Key == "" {
		a.Registry.TokenSecret.Key = "token"
	}
	if len(a.Runner.Command) == 0 {
		a.Runner.Command = []string{"/bin/sh", "/etc/cloud-codex/scripts/agent-idle-runner.sh"}
	}
	if a.Image == "" {
		a.Image = DefaultAgentImage
	}
	if a.Runner.Git != nil {
		g := a.Runner.Git.withDefaults()
		g.Install = slices.Clone(g.Install)
		a.Runner.Git = &g
	}
	a.Placement = a.Placement.clone()
	r := &a.Resources
	for _, d := range []struct {
		v   *string
		def string
	}{{&r.Requests.CPU, "50m"}, {&r.Requests.Memory, "256Mi"}, {&r.Limits.CPU, "500m"}, {&r.Limits.Memory, "2Gi"}} {
		if *d.v == "" {
			*d.v = d.def
		}
	}
	return a
}

// validate checks defaulted args and reports every problem at once (errors.Join); each
// error names the field and the fix.
func (a CloudCodexAgentArgs) validate() error {
	checks := []error{
		CheckDNSLabel("name", a.Name, MaxAgentNameLen),
		CheckDNSLabel("namespace", a.Namespace, 63),
	}
	if *a.Replicas < 0 || *a.Replicas > 1 {
		checks = append(checks, &FieldError{"replicas", *a.Replicas,
			"must be 1 (run) or 0 (park, keeping the state PVC); more than 1 is impossible: /state is a ReadWriteOnce volume with one writer"})
	}
	checks = append(checks,
		CheckStorageSize("storage.size", a.Storage.Size),
		CheckExactVersion("codex.version", a.Codex.Version, DefaultCodexVersion),
		CheckRequired("codex.model", a.Codex.Model, "set codex.model, or pass the auth pool's responses-path alias as litellm default model"),
		checkKeySecret(a),
		checkModelAllowlist(a),
		CheckRequired("registry.apiUrl", a.Registry.APIURL, "set the agent platform's API URL, e.g. https://api.example.com"),
	)
	if a.Registry.APIURL != "" {
		checks = append(checks, CheckCredentialURL("registry.apiUrl", a.Registry.APIURL))
	}
	checks = append(checks,
		CheckRequired("registry.podId", a.Registry.PodID, "set the platform pod id this agent works for"),
		CheckPinnedImage("image", a.Image, DefaultAgentImage),
	)
	checks = append(checks, a.validateReferences()...)
	checks = append(checks, a.Resources.validate("resources", ""))
	checks = append(checks, a.Runner.validatePackages()...)
	if len(a.Runner.Command) > 0 && strings.TrimSpace(a.Runner.Command[0]) == "" {
		checks = append(checks, &FieldError{"runner.command[0]", `""`, "must name the program the runner starts, e.g. \"commonly\" (leave runner.command out for the idle default)"})
	} else if len(a.Runner.Command) > 0 {
		c := a.Runner.Command
		checks = append(checks, checkProgramName("runner.command[0]", c[0],
			"write the program and each argument as its own item: runner.command: "+argvList(append(strings.Fields(c[0]), c[1:]...))))
	}
	if a.Runner.Git != nil {
		checks = append(checks, a.Runner.Git.validate()...)
	}
	checks = append(checks, a.Placement.validate("placement")...)
	checks = append(checks, a.validateEnv()...)
	return errors.Join(checks...)
}

// checkKeySecret: a Pulumi-managed key lives in the default Secret; pointing KeySecret at
// another one (most likely a Secret made by hand) must be an explicit operator-managed key.
func checkKeySecret(a CloudCodexAgentArgs) error {
	want := SecretRef{Name: AgentLiteLLMKeySecretName(a.Name), Key: "key"}
	if !a.LiteLLM.KeyManaged() || a.LiteLLM.KeySecret == want {
		return nil
	}
	return &FieldError{"litellm.keySecret", fmt.Sprintf("%s/%s", a.LiteLLM.KeySecret.Name, a.LiteLLM.KeySecret.Key), fmt.Sprintf(
		"a Pulumi-managed key lives in Secret %s under key %q; to use your own Secret set litellm.manageKey to false (operator-managed key)",
		want.Name, want.Key)}
}

// checkModelAllowlist: LiteLLM refuses every request for a model the key does not allow.
func checkModelAllowlist(a CloudCodexAgentArgs) error {
	list := a.LiteLLM.ModelAllowlist
	for _, m := range list {
		if strings.TrimSpace(m) == "" {
			return &FieldError{"litellm.modelAllowlist", fmt.Sprintf("%q", list), "model names must not be empty"}
		}
	}
	if a.Codex.Model == "" || len(list) == 0 || slices.Contains(list, a.Codex.Model) || slices.Contains(list, allProxyModels) {
		return nil
	}
	return &FieldError{"litellm.modelAllowlist", fmt.Sprintf("%q", list), fmt.Sprintf(
		"must contain the agent's model %q (LiteLLM refuses every request for a model its key does not allow)", a.Codex.Model)}
}

// validatePackages checks runner.packages, each at its index: a package name and one exact
// version, listed once by name, and never codex itself, whose version is codex.version (two
// pins of one package in one npm install would leave either on PATH).
func (r AgentRunnerArgs) validatePackages() []error {
	var errs []error
	seen := map[string]int{}
	for i, p := range r.Packages {
		f := fmt.Sprintf("runner.packages[%d]", i)
		name, why := parseNpmSpec(p)
		if why != "" {
			errs = append(errs, &FieldError{f, fmt.Sprintf("%q", p), why})
			continue
		}
		switch j, dup := seen[name]; {
		case name == codexNpmPackage:
			errs = append(errs, &FieldError{f, fmt.Sprintf("%q", p), "codex is installed by the install step at codex.version; set codex.version instead"})
		case dup:
			errs = append(errs, &FieldError{f, fmt.Sprintf("%q", p), fmt.Sprintf("%s is listed twice (also runner.packages[%d]); list each package once", name, j)})
		default:
			seen[name] = i
		}
	}
	return errs
}

// npmNameRE is an npm package name: npm's validate-npm-package-name (what the registry
// accepts; lib/index.js): an optional @scope/ and a name, each made of URL-safe characters
// and not starting with '.' or '_', at most 214 characters in all. Of the characters it
// allows, this takes letters, digits, '-', '.', '_' and '~' (upper case only for the old
// packages that have it, such as JSONStream; new names are lower case): the others, ' ( ) !
// and *, are in no package anyone installs, and the install step word-splits
// RUNNER_PACKAGES unquoted (agent-install-tools.sh), where a '*' would be a glob and a space
// would split one entry into two installs.
var npmNameRE = regexp.MustCompile(`^(?:@[a-z0-9~-][a-z0-9._~-]*/)?[a-zA-Z0-9~-][a-zA-Z0-9._~-]*$`)

// parseNpmSpec splits an entry of runner.packages, name@version, into its name; why says
// what is wrong ("" when nothing is): the name must be an npm package name (npmNameRE) and
// the version one exact semantic version (CheckExactVersion's rule: no "latest", no range,
// no partial version, no tag).
func parseNpmSpec(spec string) (name, why string) {
	const example = `e.g. "left-pad@1.3.0" or "@scope/name@1.2.3"`
	at := strings.LastIndex(spec, "@")
	if at <= 0 {
		return "", `must be a package pinned to an exact version, name@1.2.3, ` + example + ` (unpinned installs broke agents before)`
	}
	name, version := spec[:at], spec[at+1:]
	if strings.ContainsFunc(spec, unicode.IsSpace) {
		return "", fmt.Sprintf("must be one package: it has whitespace, and the install step would split it into separate installs (%s); list each package as its own item, %s",
			strings.Join(strings.Fields(spec), ", "), example)
	}
	if len(name) > 214 || !npmNameRE.MatchString(name) {
		return "", fmt.Sprintf("%q is not an npm package name (letters, digits, '-', '.', '_', '~', optionally under an @scope/; not starting with '.' or '_'; at most 214 characters), %s", name, example)
	}
	if _, err := semver.Parse(version); err != nil {
		return "", fmt.Sprintf(`the version %q must be one exact version such as "1.3.0" (no "latest", no ranges like "^1.3.0", no partial versions like "1.3", no leading "v"): the install must be the same on every start; %s`, version, example)
	}
	return name, ""
}

// Names derived from the agent name, exported for outputs and docs.

// AgentResourceName is the Deployment, PVC and label-instance name of an agent.
func AgentResourceName(name string) string { return "cloud-codex-" + name }

// AgentLiteLLMKeySecretName is the default Secret holding an agent's LiteLLM key.
func AgentLiteLLMKeySecretName(name string) string { return "cloud-codex-" + name + "-litellm-key" }

// AgentTokenSecretName is the default Secret holding an agent's runtime token.
func AgentTokenSecretName(name string) string { return "cloud-codex-" + name + "-token" }

// Validate checks args as NewCloudCodexAgent would, without registering anything (stack
// config validation runs it for every agent before the first resource).
func (a CloudCodexAgentArgs) Validate() error { return a.withDefaults().validate() }

// EffectiveModel is the model the agent asks for once defaults apply.
func (a CloudCodexAgentArgs) EffectiveModel() string { return a.withDefaults().Codex.Model }

// WithDefaults returns the args as NewCloudCodexAgent uses them, every default filled in
// (withDefaults), for callers that show effective values, such as the config reference's
// test.
func (a CloudCodexAgentArgs) WithDefaults() CloudCodexAgentArgs { return a.withDefaults() }
