// Command cloud-codex is the Pulumi program: stack config → namespace → LiteLLMAuthPool →
// (LiteLLMKeyRegistrar, when an agent's key is Pulumi-managed) → CloudCodexAgentScripts
// (shared by the agents) → one CloudCodexAgent per configured agent. Wiring only; see
// components/ and config/.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components"
	"cloud-codex/config"
)

func main() { pulumi.Run(program) }

func program(ctx *pulumi.Context) error {
	stack, err := config.Load(config.FromContext(ctx))
	if err != nil {
		return err
	}
	provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
		Kubeconfig:            optional(stack.Kubeconfig()),
		Context:               optional(stack.Cluster.Context),
		RenderYamlToDirectory: optional(stack.Cluster.RenderTo),
	})
	if err != nil {
		return fmt.Errorf("kubernetes provider: %w", err)
	}
	k8s := pulumi.Provider(provider)
	ps := stack.Cluster.PodSecurity
	ns, err := components.NewNamespace(ctx, stack.Namespace,
		components.PodSecurityLevels{Enforce: ps.Enforce, Warn: ps.Warn, Audit: ps.Audit}, stack.SkipAwait(), k8s)
	if err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	inNamespace := pulumi.DependsOn([]pulumi.Resource{ns})

	pool, err := components.NewLiteLLMAuthPool(ctx, "litellm", stack.PoolArgs(), pulumi.Providers(provider), inNamespace)
	if err != nil {
		return err
	}
	wiring := config.AgentWiring{
		BaseURL:         pool.BaseURL,
		MasterKeySecret: components.SecretKeyInput{Name: pool.MasterKeySecretName, Key: pool.MasterKeySecretKey},
	}
	if args, ok := stack.KeyRegistrarArgs(); ok {
		registrar, err := components.NewLiteLLMKeyRegistrar(ctx, "key-registrar", args, pulumi.Providers(provider), inNamespace)
		if err != nil {
			return err
		}
		wiring.RegistrarSource = registrar.SourceConfigMapName
	}
	if len(stack.Agents) > 0 {
		// One scripts ConfigMap for every agent (the scripts are the same), not one each.
		scripts, err := components.NewCloudCodexAgentScripts(ctx, "agent-scripts", stack.AgentScriptsArgs(),
			pulumi.Providers(provider), inNamespace)
		if err != nil {
			return err
		}
		wiring.Scripts = scripts.ConfigMapName
	}
	agents := make([]*components.CloudCodexAgent, len(stack.Agents))
	for i, a := range stack.Agents {
		agents[i], err = components.NewCloudCodexAgent(ctx, a.Name, stack.WiredAgentArgs(i, wiring),
			pulumi.Providers(provider), inNamespace)
		if err != nil {
			return err
		}
	}
	exportOutputs(ctx, stack, pool, agents)
	return nil
}

func optional(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.StringPtr(s)
}
