package config

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"cloud-codex/components"
)

// Secrets an agent may not read, and why. The pool's (master key, salt key, database URL,
// provider keys): an agent holding the master key can mint keys and lift its own model
// allowlist, which voids the per-agent key (ADR-014); only the pool and its key
// registration Jobs read them, and those references are wired in code, not in config.
// Another agent's LiteLLM key or runtime token: holding them, an agent calls models with the
// other's allowlist or works on the platform as the other agent.

// forbiddenSecrets maps each Secret agents[i] may not reference to what it holds; the
// agents in skip (whose entry did not decode) hold nothing known.
func (s Stack) forbiddenSecrets(i int, poolSecrets map[string]string, skip map[int]bool) map[string]string {
	out := map[string]string{}
	for name, what := range poolSecrets {
		out[name] = what + ", which only the LiteLLM auth pool may read: an agent holding it could mint keys or call models past its own allowlist"
	}
	for j, other := range s.Agents {
		if j == i || skip[j] {
			continue
		}
		key := cmp.Or(other.LiteLLM.KeySecret.Name, components.AgentLiteLLMKeySecretName(other.Name))
		token := cmp.Or(other.Registry.TokenSecret.Name, components.AgentTokenSecretName(other.Name))
		if _, taken := out[key]; !taken {
			out[key] = fmt.Sprintf("agents[%d] (%s)'s LiteLLM key: this agent would call models with that agent's key and allowlist", j, other.Name)
		}
		if _, taken := out[token]; !taken {
			out[token] = fmt.Sprintf("agents[%d] (%s)'s runtime token: this agent would work on the platform as that agent", j, other.Name)
		}
	}
	return out
}

// agentPoolSecretRefs refuses every reference of agent a (at prefix) to a forbidden Secret.
func agentPoolSecretRefs(prefix string, a components.CloudCodexAgentArgs, forbidden map[string]string) []error {
	var errs []error
	check := func(path, name string) {
		if what, ok := forbidden[name]; ok {
			errs = append(errs, &KeyError{Path: path, Msg: fmt.Sprintf(
				"Secret %q holds %s; give the agent its own Secret (its LiteLLM key is its only model credential)", name, what)})
		}
	}
	check(prefix+".litellm.keySecret.name", a.LiteLLM.KeySecret.Name)
	check(prefix+".registry.tokenSecret.name", a.Registry.TokenSecret.Name)
	for _, id := range slices.Sorted(maps.Keys(a.Codex.MCPServers)) {
		server := keyPath(prefix+".codex.mcpServers", id)
		env := a.Codex.MCPServers[id].SecretEnv
		for _, name := range slices.Sorted(maps.Keys(env)) {
			check(keyPath(server+".secretEnv", name)+".name", env[name].Name)
		}
	}
	return errs
}
