package config

import "cloud-codex/components"

// AgentScriptsArgs are the args of the scripts ConfigMap every agent of the stack shares.
func (s Stack) AgentScriptsArgs() components.CloudCodexAgentScriptsArgs {
	return components.CloudCodexAgentScriptsArgs{Namespace: s.Namespace, SkipAwait: s.SkipAwait()}
}

// KeyRegistrarArgs are the LiteLLMKeyRegistrar's args; ok is false when no agent has a
// Pulumi-managed LiteLLM key (nothing needs the registrar).
func (s Stack) KeyRegistrarArgs() (args components.LiteLLMKeyRegistrarArgs, ok bool) {
	for _, a := range s.Agents {
		if a.LiteLLM.KeyManaged() {
			ok = true
		}
	}
	return components.LiteLLMKeyRegistrarArgs{Namespace: s.Namespace, SkipAwait: s.SkipAwait()}, ok
}
