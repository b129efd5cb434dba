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
		},
		Registry: components.AgentRegistryArgs{APIURL: a.Registry.APIURL, PodID: a.Registry.PodID, TokenSecret: a.Registry.TokenSecret},
		Runner:   components.AgentRunnerArgs{Command: a.Runner.Command, Packages: a.Runner.Packages},
		Image:    a.Image,
		Resources: components.ResourcesArgs{
			RequestsCPU: a.Resources.Requests.CPU, RequestsMemory: a.Resources.Requests.Memory,
			LimitsCPU: a.Resources.Limits.CPU, LimitsMemory: a.Resources.Limits.Memory,
		},
		Env:       a.Env,
		SkipAwait: s.SkipAwait(),
	}
}
