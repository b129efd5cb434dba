package config

import (
	"fmt"

	"cloud-codex/components"
)

// validateObjectNames refuses a litellm.name whose objects would take the name of an
// agent's objects or of the agents' shared objects: Kubernetes would refuse the second one
// ("already exists") halfway through `up`, after other objects were created. An agent named
// "cody" owns cloud-codex-cody (Deployment, PVC), cloud-codex-cody-config and its Secrets,
// so a pool named "cloud-codex-cody" cannot exist beside it.
func (s Stack) validateObjectNames() []error {
	owner := map[string]string{
		components.DefaultAgentScriptsName:                                    "the agents' scripts ConfigMap",
		components.DefaultAgentEgressPolicyName:                               "the agents' egress NetworkPolicy",
		components.KeyRegistrarSourceName(components.DefaultKeyRegistrarName): "the key registrar's source ConfigMap",
	}
	for i, a := range s.Agents {
		if a.Name == "" {
			continue
		}
		base := components.AgentResourceName(a.Name)
		for _, name := range []string{base, base + "-config", components.AgentLiteLLMKeySecretName(a.Name), components.AgentTokenSecretName(a.Name)} {
			if _, taken := owner[name]; !taken {
				owner[name] = fmt.Sprintf("agents[%d] (%s)", i, a.Name)
			}
		}
	}
	for _, name := range s.LiteLLM.ObjectNames() {
		if who, taken := owner[name]; taken {
			return []error{&KeyError{Path: Namespace + ":litellm.name", Msg: fmt.Sprintf(
				"the pool's object %q would have the name of an object of %s, and Kubernetes refuses the second one halfway through up; choose another litellm.name (default %q)",
				name, who, components.DefaultAuthPoolName)}}
		}
	}
	return nil
}
