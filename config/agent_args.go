package config

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components"
)

// AgentArgs converts agents[i] into the component's args. baseURL is the auth pool's
// BaseURL output (nil while validating config); the default model is the pool's
// responses-path alias.
func (s Stack) AgentArgs(i int, baseURL pulumi.StringInput) components.CloudCodexAgentArgs {
	a := s.Agents[i]
	mcp := map[string]components.MCPServerArgs{}
	for id, m := range a.Codex.MCPServers {
		mcp[id] = components.MCPServerArgs{Command: m.Command, Args: m.Args, Env: m.Env, SecretEnv: m.SecretEnv}
	}
	return components.CloudCodexAgentArgs{
		Name:      a.Name,
		Namespace: s.Namespace,
		Replicas:  a.Replicas,
		Storage:   components.AgentStorageArgs{Size: a.Storage.Size, StorageClass: a.Storage.StorageClass},
		Codex:     components.AgentCodexArgs{Version: a.Codex.Version, Model: a.Codex.Model, MCPServers: mcp},
		LiteLLM: components.AgentLiteLLMArgs{
			BaseURL:        baseURL,
			DefaultModel:   s.PoolArgs().EffectiveResponsesAlias(),
			KeySecret:      a.LiteLLM.KeySecret,
			ModelAllowlist: a.LiteLLM.ModelAllowlist,
			ManageKey:      a.LiteLLM.ManageKey,
		},
		Registry:  components.AgentRegistryArgs{APIURL: a.Registry.APIURL, PodID: a.Registry.PodID, TokenSecret: a.Registry.TokenSecret},
		Runner:    components.AgentRunnerArgs{Command: a.Runner.Command, Packages: a.Runner.Packages, Git: a.Runner.Git.args()},
		Image:     a.Image,
		Resources: a.Resources,
		Env:       a.Env,
		SkipAwait: s.SkipAwait(),
		Placement: a.Placement.args(),
	}
}

// AgentWiring is what agents take from the auth pool and the key registrar.
type AgentWiring struct {
	// BaseURL is the pool's BaseURL (also where key registration reaches LiteLLM).
	BaseURL pulumi.StringInput
	// MasterKeySecret is the pool's MasterKeySecretName and MasterKeySecretKey.
	MasterKeySecret components.SecretKeyInput
	// RegistrarSource is the LiteLLMKeyRegistrar's SourceConfigMapName (nil when no agent
	// has a Pulumi-managed key).
	RegistrarSource pulumi.StringInput
	// Scripts is the CloudCodexAgentScripts' ConfigMapName, shared by every agent.
	Scripts pulumi.StringInput
}

// WiredAgentArgs is AgentArgs with everything an agent needs from the other components.
func (s Stack) WiredAgentArgs(i int, w AgentWiring) components.CloudCodexAgentArgs {
	args := s.AgentArgs(i, w.BaseURL)
	args.LiteLLM.MasterKeySecret = w.MasterKeySecret
	args.LiteLLM.RegistrarSource = w.RegistrarSource
	args.Scripts = w.Scripts
	return args
}

// AgentScriptsArgs are the args of the scripts ConfigMap every agent of the stack shares.
func (s Stack) AgentScriptsArgs() components.CloudCodexAgentScriptsArgs {
	return components.CloudCodexAgentScriptsArgs{Namespace: s.Namespace, SkipAwait: s.SkipAwait()}
}

// KeyRegistrarArgs are the LiteLLMKeyRegistrar's args; ok is false when no agent has a
// Pulumi-managed LiteLLM key (nothing needs the registrar).
func (s Stack) KeyRegistrarArgs() (args components.LiteLLMKeyRegistrarArgs, ok bool) {
	for i := range s.Agents {
		if s.AgentArgs(i, nil).LiteLLM.KeyManaged() {
			ok = true
		}
	}
	return components.LiteLLMKeyRegistrarArgs{Namespace: s.Namespace, SkipAwait: s.SkipAwait()}, ok
}
