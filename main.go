// Command cloud-codex is the Pulumi program: stack config → namespace → (DevDatabase, with
// litellm.database.inCluster) → LiteLLMAuthPool →
// (LiteLLMKeyRegistrar, when an agent's key is Pulumi-managed) → CloudCodexAgentScripts
// (shared by the agents) → one CloudCodexAgent per configured agent. Wiring only; see
// components/ and config/.
package main

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components"
	"cloud-codex/components/serverversion"
	"cloud-codex/config"
)

func main() { pulumi.Run(program) }

func program(ctx *pulumi.Context) error {
	values, secret := config.FromContext(ctx)
	stack, err := config.Load(values, secret...)
	if err != nil {
		return err
	}
	if w := stack.KubeconfigEnvWarning(); w != "" {
		_ = ctx.Log.Warn(w, nil)
	}
	if err := checkCluster(ctx, stack); err != nil {
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

	// litellm.database.inCluster: a dev Postgres beside the pool, read by it as an existing
	// database Secret.
	poolArgs := stack.LiteLLM
	if poolArgs.Database.InCluster != nil {
		db, err := components.NewPoolDevDatabase(ctx, "litellm", poolArgs, pulumi.Providers(provider), inNamespace)
		if err != nil {
			return err
		}
		poolArgs = poolArgs.WithDevDatabase(db)
	}
	pool, err := components.NewLiteLLMAuthPool(ctx, "litellm", poolArgs, pulumi.Providers(provider), inNamespace)
	if err != nil {
		return err
	}
	if stack.EgressEnabled() && len(stack.Agents) > 0 {
		egress := stack.Egress.AgentEgressArgs
		egress.LiteLLMSelector = pool.PodSelector
		if _, err := components.NewAgentEgressPolicy(ctx, egress, pulumi.Providers(provider), inNamespace); err != nil {
			return err
		}
		if len(stack.Egress.PlatformAPI) == 0 || len(stack.Egress.NPMRegistry) == 0 {
			_ = ctx.Log.Warn(egressWarning, nil)
		}
	}
	// Every agent reaches LiteLLM at the pool's URL, and its key registration Job (with a
	// Pulumi-managed key) authenticates with the pool's master key using the registrar's source.
	var registrarSource pulumi.StringInput
	if args, ok := stack.KeyRegistrarArgs(); ok {
		registrar, err := components.NewLiteLLMKeyRegistrar(ctx, "key-registrar", args, pulumi.Providers(provider), inNamespace)
		if err != nil {
			return err
		}
		registrarSource = registrar.SourceConfigMapName
	}
	var scripts *components.CloudCodexAgentScripts
	if len(stack.Agents) > 0 {
		// One scripts ConfigMap for every agent (the scripts are the same), not one each.
		if scripts, err = components.NewCloudCodexAgentScripts(ctx, "agent-scripts", stack.AgentScriptsArgs(),
			pulumi.Providers(provider), inNamespace); err != nil {
			return err
		}
	}
	agents := make([]*components.CloudCodexAgent, len(stack.Agents))
	for i, args := range stack.Agents {
		args.LiteLLM.BaseURL = pool.BaseURL
		args.LiteLLM.MasterKeySecret = components.SecretKeyInput{Name: pool.MasterKeySecretName, Key: pool.MasterKeySecretKey}
		args.LiteLLM.RegistrarSource = registrarSource
		args.Scripts = scripts
		agents[i], err = components.NewCloudCodexAgent(ctx, args.Name, args, pulumi.Providers(provider), inNamespace)
		if err != nil {
			return err
		}
	}
	exportOutputs(ctx, stack, pool, agents)
	return nil
}

// egressWarning: with the default-deny policy and no CIDRs for them, agents cannot reach the
// platform or install codex; say so at every `up` instead of letting pods hang in Init.
const egressWarning = "agents' egress is default-deny: list the agent platform API's CIDRs in cloud-codex:egress.platformApi " +
	"and the npm registry's in egress.npmRegistry (NetworkPolicy cannot name hosts), or agents cannot install codex nor reach the platform; " +
	"MCP servers and the runner.git host go in egress.allow (README, Security)"

// checkCluster refuses an API server older than Kubernetes 1.29 (native sidecars) before
// anything is declared, connecting with the stack's kubeconfig and context as the provider
// will. Render mode has no cluster. A version that cannot be read (no kubeconfig, server
// unreachable, credentials refused) is a warning with the reason and how to check by hand:
// the provider then reports a real connection problem itself.
func checkCluster(ctx *pulumi.Context, stack config.Stack) error {
	if stack.Cluster.RenderTo != "" {
		return nil
	}
	version, err := serverversion.Check(ctx.Context(), stack.Kubeconfig(), stack.Cluster.Context)
	switch {
	case errors.Is(err, serverversion.ErrUnknown):
		_ = ctx.Log.Warn(serverversion.UnknownWarning(err, stack.Cluster.Context), nil)
		return nil
	case err != nil:
		return err
	}
	_ = ctx.Log.Debug("Kubernetes "+version, nil)
	return nil
}

func optional(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.StringPtr(s)
}
