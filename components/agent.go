package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/codexconfig"
)

// CloudCodexAgent is one in-cluster codex agent: a state PVC, its codex config, its boot
// scripts and a single-writer Deployment. Every model call goes to LiteLLM; the agent never
// holds a ChatGPT credential (ADR-014).
type CloudCodexAgent struct {
	pulumi.ResourceState

	// AgentName is the agent's name (its platform instanceId).
	AgentName string

	// DeploymentName, PVCName and ConfigMapName name the agent's objects.
	DeploymentName pulumi.StringOutput `pulumi:"deploymentName"`
	PVCName        pulumi.StringOutput `pulumi:"pvcName"`
	ConfigMapName  pulumi.StringOutput `pulumi:"configMapName"`
	// Model is the LiteLLM alias the agent asks for.
	Model pulumi.StringOutput `pulumi:"model"`
	// ModelAllowlist is what the agent's LiteLLM key must allow.
	ModelAllowlist pulumi.StringArrayOutput `pulumi:"modelAllowlist"`
	// RequiredSecrets are the Secrets the operator must create, and SecretCommands the
	// exact `kubectl create secret` commands (values as placeholders).
	RequiredSecrets pulumi.StringArrayOutput `pulumi:"requiredSecrets"`
	SecretCommands  pulumi.StringArrayOutput `pulumi:"secretCommands"`
}

// NewCloudCodexAgent validates args (before registering anything) and declares the agent.
func NewCloudCodexAgent(ctx *pulumi.Context, name string, args CloudCodexAgentArgs, opts ...pulumi.ResourceOption) (*CloudCodexAgent, error) {
	args = args.withDefaults()
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("agent %q: %w", args.Name, err)
	}
	if args.LiteLLM.BaseURL == nil {
		return nil, fmt.Errorf("agent %q: %w", args.Name, &FieldError{"litellm.baseUrl", "<nil>", "pass the LiteLLMAuthPool's BaseURL output"})
	}
	agent := &CloudCodexAgent{AgentName: args.Name}
	if err := ctx.RegisterComponentResource(CloudCodexAgentType, name, agent, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(agent)
	labels := Labels{Name: "cloud-codex-agent", Instance: args.Name, Component: "agent"}
	base := AgentResourceName(args.Name)

	pvc, err := corev1.NewPersistentVolumeClaim(ctx, base, &corev1.PersistentVolumeClaimArgs{
		Metadata: Meta(base, args.Namespace, labels, args.SkipAwait),
		Spec: &corev1.PersistentVolumeClaimSpecArgs{
			AccessModes:      pulumi.StringArray{pulumi.String("ReadWriteOnce")},
			Resources:        &corev1.VolumeResourceRequirementsArgs{Requests: pulumi.StringMap{"storage": pulumi.String(args.Storage.Size)}},
			StorageClassName: optionalString(args.Storage.StorageClass),
		},
	}, child, statePVCOptions())
	if err != nil {
		return nil, fmt.Errorf("agent %q: state PVC: %w", args.Name, err)
	}

	configName := base + "-config"
	config, err := corev1.NewConfigMap(ctx, configName, &corev1.ConfigMapArgs{
		Metadata: Meta(configName, args.Namespace, labels, args.SkipAwait),
		Data:     pulumi.StringMap{codexconfig.FileName: agentConfigTOML(args)},
	}, child)
	if err != nil {
		return nil, fmt.Errorf("agent %q: config ConfigMap: %w", args.Name, err)
	}

	scriptsName := base + "-scripts"
	scripts, err := corev1.NewConfigMap(ctx, scriptsName, &corev1.ConfigMapArgs{
		Metadata: Meta(scriptsName, args.Namespace, labels, args.SkipAwait),
		Data: pulumi.StringMap{
			"agent-install-tools.sh": pulumi.String(agentInstallToolsScript),
			"agent-boot.sh":          pulumi.String(agentBootScript),
			"agent-identity.js":      pulumi.String(agentIdentityScript),
			"agent-idle-runner.sh":   pulumi.String(agentIdleRunnerScript),
		},
	}, child)
	if err != nil {
		return nil, fmt.Errorf("agent %q: scripts ConfigMap: %w", args.Name, err)
	}

	deployment, err := appsv1.NewDeployment(ctx, base, &appsv1.DeploymentArgs{
		Metadata: Meta(base, args.Namespace, labels, args.SkipAwait),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(*args.Replicas),
			// One writer per ReadWriteOnce volume: the old pod must be gone before the new
			// one mounts /state.
			Strategy: &appsv1.DeploymentStrategyArgs{Type: pulumi.String("Recreate")},
			Selector: &metav1.LabelSelectorArgs{MatchLabels: labels.Selector()},
			Template: agentPodTemplate(args, labels, agentVolumes{
				pvc: pvc.Metadata.Name().Elem(), config: config.Metadata.Name().Elem(), scripts: scripts.Metadata.Name().Elem(),
			}),
		},
	}, child)
	if err != nil {
		return nil, fmt.Errorf("agent %q: Deployment: %w", args.Name, err)
	}

	agent.DeploymentName = deployment.Metadata.Name().Elem()
	agent.PVCName = pvc.Metadata.Name().Elem()
	agent.ConfigMapName = config.Metadata.Name().Elem()
	agent.Model = pulumi.String(args.Codex.Model).ToStringOutput()
	agent.ModelAllowlist = pulumi.ToStringArray(args.LiteLLM.ModelAllowlist).ToStringArrayOutput()
	secrets, commands := agentRequiredSecrets(args)
	agent.RequiredSecrets = pulumi.ToStringArray(secrets).ToStringArrayOutput()
	agent.SecretCommands = pulumi.ToStringArray(commands).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(agent, pulumi.Map{
		"deploymentName":  agent.DeploymentName,
		"pvcName":         agent.PVCName,
		"configMapName":   agent.ConfigMapName,
		"model":           agent.Model,
		"modelAllowlist":  agent.ModelAllowlist,
		"requiredSecrets": agent.RequiredSecrets,
		"secretCommands":  agent.SecretCommands,
	}); err != nil {
		return nil, err
	}
	return agent, nil
}

// agentConfigTOML renders the agent's config.toml once LiteLLM's base URL is known (at
// preview already: the pool derives it from plain values).
func agentConfigTOML(args CloudCodexAgentArgs) pulumi.StringOutput {
	return args.LiteLLM.BaseURL.ToStringOutput().ApplyT(func(baseURL string) (string, error) {
		if err := CheckHTTPURL("litellm.baseUrl", baseURL); err != nil {
			return "", fmt.Errorf("agent %q: %w", args.Name, err)
		}
		return codexconfig.Render(agentCodexConfig(args, baseURL))
	}).(pulumi.StringOutput)
}

// agentCodexConfig is the agent's config: LiteLLM as the only provider; MCP servers get
// Secret-backed values forwarded by name (env_vars), never written into the file.
func agentCodexConfig(args CloudCodexAgentArgs, baseURL string) codexconfig.Config {
	var mcp map[string]codexconfig.MCPServer
	if len(args.Codex.MCPServers) > 0 {
		mcp = map[string]codexconfig.MCPServer{}
		for id, s := range args.Codex.MCPServers {
			mcp[id] = codexconfig.MCPServer{Command: s.Command, Args: s.Args, Env: s.Env, EnvVars: sortedKeys(s.SecretEnv)}
		}
	}
	return codexconfig.ForLiteLLM(args.Codex.Model, baseURL, mcp)
}

// agentRequiredSecrets lists the Secrets the operator creates and how.
func agentRequiredSecrets(args CloudCodexAgentArgs) ([]string, []string) {
	ns := args.Namespace
	return []string{args.Registry.TokenSecret.Name, args.LiteLLM.KeySecret.Name}, []string{
		fmt.Sprintf("kubectl create secret generic %s -n %s --from-literal=%s=<runtime token from the agent platform>",
			args.Registry.TokenSecret.Name, ns, args.Registry.TokenSecret.Key),
		fmt.Sprintf("kubectl create secret generic %s -n %s --from-literal=%s=<LiteLLM virtual key for %s>",
			args.LiteLLM.KeySecret.Name, ns, args.LiteLLM.KeySecret.Key, args.Name),
	}
}

// toolsDirName keys the tools install on the PVC by codex version and runner packages, so a
// restart reuses it and any change installs fresh next to it.
func toolsDirName(args CloudCodexAgentArgs) string {
	h := sha256.Sum256([]byte(args.Codex.Version + "\n" + strings.Join(args.Runner.Packages, "\n")))
	return fmt.Sprintf("/state/.tools/codex-%s-%s", args.Codex.Version, hex.EncodeToString(h[:])[:8])
}

func optionalString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.StringPtr(s)
}
