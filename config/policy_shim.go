package config

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components"
)

// The declarations below keep policy/components_output_test.go compiling while another
// change moves that test onto main's own program (issue 20). main.go wires the components
// itself and uses none of them; delete this file with that change.

// PoolArgs is the litellm key as the LiteLLMAuthPool's args.
//
// Deprecated: use Stack.LiteLLM.
func (s Stack) PoolArgs() components.LiteLLMAuthPoolArgs { return s.LiteLLM }

// AgentWiring is what agents take from the auth pool, the key registrar and the scripts.
//
// Deprecated: main.go wires agents.
type AgentWiring struct {
	BaseURL         pulumi.StringInput
	MasterKeySecret components.SecretKeyInput
	RegistrarSource pulumi.StringInput
	Scripts         pulumi.StringInput
}

// WiredAgentArgs is agents[i] wired to the other components.
//
// Deprecated: main.go wires agents.
func (s Stack) WiredAgentArgs(i int, w AgentWiring) components.CloudCodexAgentArgs {
	args := s.Agents[i]
	args.LiteLLM.BaseURL = w.BaseURL
	args.LiteLLM.MasterKeySecret = w.MasterKeySecret
	args.LiteLLM.RegistrarSource = w.RegistrarSource
	args.Scripts = w.Scripts
	return args
}
