package components

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/contract"
)

// The agent's environment has three sources: agents' Env, each MCP server's Env (written
// into config.toml) and each MCP server's SecretEnv (secretKeyRef entries of the pod). None
// of them may carry a name the component sets (a later entry silently replaces the
// agent's own LITELLM_API_KEY or identity), a ChatGPT/OpenAI credential, or a literal
// credential (it would sit in plaintext in the Deployment, config.toml and the stack state).

// componentEnvNames are the names the component sets in the agent container, read from
// agentEnv itself so that a name added there is protected without a second list, plus
// reservedAgentEnv (names of the install step and the credentials ADR-014 forbids).
func (a CloudCodexAgentArgs) componentEnvNames() map[string]bool {
	bare := a
	bare.Env, bare.Codex.MCPServers = nil, nil
	names := maps.Clone(reservedAgentEnv)
	for _, e := range agentEnv(bare, "") {
		if v, ok := e.(corev1.EnvVarArgs); ok {
			if s, ok := v.Name.(pulumi.String); ok {
				names[string(s)] = true
			}
		}
	}
	return names
}

// chatGPTCredentialEnv: the OpenAI/ChatGPT credentials an agent must never hold (the
// contract's judge: codex's names and any credential name that mentions a vendor). Stricter
// than the pack, which cannot tell a CHATGPT_* setting of another program from a
// credential: any case, and any CHATGPT* name.
func chatGPTCredentialEnv(name string) bool {
	u := strings.ToUpper(name)
	return contract.IsChatGPTCredentialEnv(u) || strings.HasPrefix(u, "CHATGPT")
}

// credentialEnvName reports a name that carries a credential: the contract's judge (the
// pack uses the same), and any CHATGPT* name in any case.
func credentialEnvName(name string) bool {
	return contract.IsCredentialName(name) || chatGPTCredentialEnv(name)
}

// checkOwnedEnv refuses a name the component sets or a ChatGPT/OpenAI credential.
func checkOwnedEnv(field, name string, owned map[string]bool) error {
	switch {
	case chatGPTCredentialEnv(name):
		return &FieldError{field, "(set)", "is a ChatGPT/OpenAI credential: agents hold none (ADR-014); every model call goes through LiteLLM with the agent's own key; remove it " +
			"(a tool that needs OpenAI models gets them through LiteLLM: a provider-path entry in litellm.models with apiKeySecret)"}
	case name == "PATH":
		return &FieldError{field, "(set)", "is set by the agent's boot step (codex's and the runner's bin directories before the image's PATH), and a value here replaces it: Kubernetes does not expand \"$PATH\" in a literal, so the boot step then finds neither node nor codex; " +
			"remove it: put a program on PATH with runner.packages (an npm package's bin) or runner.git (the repository's bin entries), or call it by its absolute path"}
	case slices.Contains(agentScriptEnv, name):
		return &FieldError{field, "(set)", "is read by the agent pod's boot and install scripts (it says where config.toml, the scripts or the runner come from), and a value here would redirect them; remove it or use another name"}
	case owned[name]:
		return &FieldError{field, "(set)", "is set by the component (the later env entry would silently replace the agent's own value); remove it or use another name"}
	}
	return nil
}

// checkLiteralEnv refuses a literal that is a credential, by name or by shape.
func checkLiteralEnv(field, name, value, where string) error {
	const fix = "keep it in a Secret and reference it through codex.mcpServers.<id>.secretEnv ({name, key}; it reaches the pod's environment by secretKeyRef)"
	switch {
	case credentialEnvName(name):
		return &FieldError{field, "(a literal)", fmt.Sprintf("the name says credential, and a literal is stored in plaintext in %s and the stack's state; %s", where, fix)}
	}
	if what, _, ok := contract.FindCredential(value); ok {
		return &FieldError{field, "(a credential-shaped literal)", fmt.Sprintf("the value looks like a key or token (%s), and a literal is stored in plaintext in %s and the stack's state; %s", what, where, fix)}
	}
	return nil
}

// validateEnv checks every environment name and value the agent's pod and MCP servers get.
func (a CloudCodexAgentArgs) validateEnv() []error {
	owned := a.componentEnvNames()
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// podEnv: names the user adds to the agent container, and which field added them.
	type source struct {
		field string
		ref   *SecretRef
	}
	podEnv := map[string]source{}
	for _, name := range slices.Sorted(maps.Keys(a.Env)) {
		f := KeyField("env", name)
		add(firstOf(checkOwnedEnv(f, name, owned), CheckEnvName(f, name), checkLiteralEnv(f, name, a.Env[name], "the agent's Deployment")))
		podEnv[name] = source{field: f}
	}
	for _, id := range slices.Sorted(maps.Keys(a.Codex.MCPServers)) {
		s := a.Codex.MCPServers[id]
		base := KeyField("codex.mcpServers", id)
		add(CheckMCPServerID(base, id))
		if strings.TrimSpace(s.Command) == "" {
			add(&FieldError{base + ".command", fmt.Sprintf("%q", s.Command), "set the command that starts the MCP server"})
		} else if words := strings.Fields(s.Command); len(words) > 0 {
			add(checkProgramName(base+".command", s.Command, fmt.Sprintf(
				"put the program in command and its arguments in args: command: %q, args: %s", words[0], argvList(append(words[1:], s.Args...)))))
		}
		errs = append(errs, checkLiteralArgs(base+".args", s.Args, "the agent's config.toml ConfigMap")...)
		for _, name := range slices.Sorted(maps.Keys(s.Env)) {
			f := KeyField(base+".env", name)
			add(firstOf(checkOwnedEnv(f, name, owned), CheckEnvName(f, name), checkLiteralEnv(f, name, s.Env[name], "the agent's config.toml ConfigMap")))
		}
		for _, name := range slices.Sorted(maps.Keys(s.SecretEnv)) {
			f := KeyField(base+".secretEnv", name)
			ref := s.SecretEnv[name]
			if err := firstOf(checkOwnedEnv(f, name, owned), CheckEnvName(f, name)); err != nil {
				add(err)
				continue
			}
			errs = append(errs, CheckSecretRef(f, ref, "the value of "+name)...)
			if _, dup := s.Env[name]; dup {
				add(&FieldError{f, "(set)", fmt.Sprintf("%s also sets %s; set it in one of env and secretEnv", base+".env", name)})
			}
			prev, dup := podEnv[name]
			switch {
			case dup && prev.ref == nil:
				add(&FieldError{f, "(set)", fmt.Sprintf("%s also sets %s in the agent's container and one would silently replace the other; use another name", prev.field, name)})
			case dup && *prev.ref != ref:
				add(&FieldError{f, fmt.Sprintf("%s/%s", ref.Name, ref.Key), fmt.Sprintf(
					"%s sets %s from %s/%s: the pod has one %s, so one server would get the other's value; give them different names",
					prev.field, name, prev.ref.Name, prev.ref.Key, name)})
			case !dup:
				podEnv[name] = source{field: f, ref: &ref}
			}
		}
	}
	errs = append(errs, checkLiteralArgs("runner.command", a.Runner.Command, "the agent's Deployment")...)
	return errs
}

// mcpServerIDRE is the MCP server id every codex release starts: codex checks the id before
// it starts a server and, when the id fails, logs "Invalid MCP server name" and goes on
// without that server's tools; nothing reaches the agent's output. The pinned 0.171.0
// accepts ^[a-zA-Z0-9_:@/.-]+$ (codex-rs/codex-mcp/src/rmcp_client.rs,
// validate_mcp_server_name; observed with the real CLI: "MCP startup failed: Invalid MCP
// server name 'my server': must match pattern ^[a-zA-Z0-9_:@/.-]+$"); earlier releases
// accepted only ^[a-zA-Z0-9_-]+$ (codex-rs/core/src/mcp_connection_manager.rs). An agent
// may pin another codex.version, so ids are held to what both accept.
var mcpServerIDRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// CheckMCPServerID refuses an MCP server id codex would skip.
func CheckMCPServerID(field, id string) error {
	if mcpServerIDRE.MatchString(id) {
		return nil
	}
	return &FieldError{field, fmt.Sprintf("%q", id), fmt.Sprintf(
		"must be an MCP server id codex starts: letters, digits, '_' and '-' (^[a-zA-Z0-9_-]+$), e.g. %q; codex skips a server whose id it does not accept, with only a log line (0.171.0 also takes '.', ':', '@' and '/', earlier releases do not)",
		suggestMCPServerID(id))}
}

// suggestMCPServerID is id with every character codex refuses replaced by '_'.
func suggestMCPServerID(id string) string {
	out := []rune(id)
	for i, r := range out {
		if !(r < 128 && mcpServerIDRE.MatchString(string(r))) {
			out[i] = '_'
		}
	}
	if len(out) == 0 {
		return "github"
	}
	return string(out)
}

// checkLiteralArgs refuses a command-line argument shaped like a credential ("sk-...", a
// URL with user:password@): arguments are stored in plaintext like env literals.
func checkLiteralArgs(field string, args []string, where string) []error {
	var errs []error
	for i, arg := range args {
		if what, _, ok := contract.FindCredential(arg); ok {
			errs = append(errs, &FieldError{fmt.Sprintf("%s[%d]", field, i), "(a credential-shaped literal)", fmt.Sprintf(
				"looks like a key or token (%s), and arguments are stored in plaintext in %s and the stack's state; put it in a Secret, pass it through codex.mcpServers.<id>.secretEnv and have the program read it from its environment", what, where)})
		}
	}
	return errs
}

// firstOf is the first non-nil error: one line per field, the most important reason.
func firstOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// validateReferences checks the Secrets and StorageClass the agent names by the API
// server's rules, so a bad name fails here and not at pod creation.
func (a CloudCodexAgentArgs) validateReferences() []error {
	var errs []error
	errs = append(errs, CheckSecretRef("litellm.keySecret", a.LiteLLM.KeySecret, "the agent's LiteLLM key")...)
	errs = append(errs, CheckSecretRef("registry.tokenSecret", a.Registry.TokenSecret, "the runtime token")...)
	if err := CheckStorageClass("storage.storageClass", a.Storage.StorageClass); err != nil {
		errs = append(errs, err)
	}
	return errs
}
