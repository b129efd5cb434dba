package config

import (
	"fmt"
	"maps"
	"slices"
)

// agentPoolSecretRefs refuses an agent that names one of the auth pool's Secrets (master
// key, salt key, database URL): an agent holding the master key can mint keys and lift its
// own model allowlist, which voids the per-agent key (ADR-014). Only the pool and its key
// registration Jobs read them, and those references are wired in code, not in config.
func agentPoolSecretRefs(prefix string, a Agent, poolSecrets map[string]string) []error {
	var errs []error
	check := func(path, name string) {
		if what, ok := poolSecrets[name]; ok {
			errs = append(errs, &KeyError{Path: path, Msg: fmt.Sprintf(
				"Secret %q holds %s, which only the LiteLLM auth pool may read: an agent holding it could mint keys and lift its own model allowlist; give the agent its own Secret (its LiteLLM key is its only model credential)",
				name, what)})
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
