package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
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
	// exact `kubectl create secret` commands (values as placeholders). A Pulumi-managed
	// LiteLLM key is not among them.
	RequiredSecrets pulumi.StringArrayOutput `pulumi:"requiredSecrets"`
	SecretCommands  pulumi.StringArrayOutput `pulumi:"secretCommands"`
	// KeySecretName is the Secret holding the agent's LiteLLM key; KeyManagedBy says who
	// makes it: "pulumi" (generated and registered by this component) or "operator".
	KeySecretName pulumi.StringOutput `pulumi:"keySecretName"`
	KeyManagedBy  pulumi.StringOutput `pulumi:"keyManagedBy"`
	// RegistryInstall says what to install in the agent platform, with the exact identity
	// (agentName codex, instanceId, podId): that install issues the runtime token.
	RegistryInstall pulumi.StringOutput `pulumi:"registryInstall"`
	// KeyRegistrationJob is the Job that registers a Pulumi-managed key in LiteLLM (its
	// name changes with what it registers); empty for an operator-managed key.
	KeyRegistrationJob pulumi.StringOutput `pulumi:"keyRegistrationJob"`
}

// Values of CloudCodexAgent.KeyManagedBy.
const (
	KeyManagedByPulumi   = "pulumi"
	KeyManagedByOperator = "operator"
)

// NewCloudCodexAgent validates args (before registering anything) and declares the agent.
func NewCloudCodexAgent(ctx *pulumi.Context, name string, args CloudCodexAgentArgs, opts ...pulumi.ResourceOption) (*CloudCodexAgent, error) {
	args = args.withDefaults()
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("agent %q: %w", args.Name, err)
	}
	if args.LiteLLM.BaseURL == nil {
		return nil, fmt.Errorf("agent %q: %w", args.Name, &FieldError{"litellm.baseUrl", "<nil>", "pass the LiteLLMAuthPool's BaseURL output"})
	}
	if args.LiteLLM.KeyManaged() {
		if m := args.LiteLLM.MasterKeySecret; m.Name == nil || m.Key == "" {
			return nil, fmt.Errorf("agent %q: %w", args.Name, &FieldError{"litellm.masterKeySecret", "<unset>",
				"pass the LiteLLMAuthPool's MasterKeySecretName and MasterKeySecretKey (the key registration Job needs the master key), or set litellm.manageKey to false"})
		}
		if args.LiteLLM.RegistrarSource == nil {
			return nil, fmt.Errorf("agent %q: %w", args.Name, &FieldError{"litellm.registrarSource", "<nil>",
				"pass a LiteLLMKeyRegistrar's SourceConfigMapName (the key registration Job compiles the registrar from it), or set litellm.manageKey to false"})
		}
	}
	agent := &CloudCodexAgent{AgentName: args.Name}
	if err := ctx.RegisterComponentResource(contract.CloudCodexAgentType, name, agent, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(agent)
	labels := agentLabels(args.Name)
	base := AgentResourceName(args.Name)

	pvc, err := corev1.NewPersistentVolumeClaim(ctx, name+"-state", &corev1.PersistentVolumeClaimArgs{
		Metadata: Meta(base, args.Namespace, labels, args.SkipAwait),
		Spec: &corev1.PersistentVolumeClaimSpecArgs{
			AccessModes:      pulumi.StringArray{pulumi.String("ReadWriteOnce")},
			Resources:        &corev1.VolumeResourceRequirementsArgs{Requests: pulumi.StringMap{"storage": pulumi.String(args.Storage.Size)}},
			StorageClassName: optionalString(args.Storage.StorageClass),
		},
	}, renamedChild(child, name+"-state", base), statePVCOptions())
	if err != nil {
		return nil, fmt.Errorf("agent %q: state PVC: %w", args.Name, err)
	}

	platformToken, platformConfig, err := agentPlatformFiles(args)
	if err != nil {
		return nil, fmt.Errorf("agent %q: %w", args.Name, err)
	}
	configName := base + "-config"
	configData := pulumi.StringMap{
		codexconfig.FileName:       agentConfigTOML(args),
		AgentPlatformTokenFileKey:  pulumi.String(platformToken),
		AgentPlatformConfigFileKey: pulumi.String(platformConfig),
	}
	config, err := corev1.NewConfigMap(ctx, name+"-config", &corev1.ConfigMapArgs{
		Metadata: Meta(configName, args.Namespace, labels, args.SkipAwait),
		Data:     configData,
	}, renamedChild(child, name+"-config", configName))
	if err != nil {
		return nil, fmt.Errorf("agent %q: config ConfigMap: %w", args.Name, err)
	}

	// The scripts: the stack's shared ConfigMap (CloudCodexAgentScripts), or the agent's own.
	var scriptsName string
	var scripts pulumi.Resource
	if args.Scripts != nil {
		scriptsName, scripts = args.Scripts.Name, args.Scripts
	} else {
		scriptsName = base + "-scripts"
		own, err := corev1.NewConfigMap(ctx, name+"-scripts", &corev1.ConfigMapArgs{
			Metadata: Meta(scriptsName, args.Namespace, labels, args.SkipAwait),
			Data:     agentScriptsData(),
		}, renamedChild(child, name+"-scripts", scriptsName))
		if err != nil {
			return nil, fmt.Errorf("agent %q: scripts ConfigMap: %w", args.Name, err)
		}
		scripts = own
	}

	// The pod mounts its volumes by name and the Deployment waits for them (DependsOn), with
	// no output of theirs in its spec: a ConfigMap whose data changes is replaced, delete
	// before create (its name is fixed), and the engine replaces every resource whose inputs
	// came from it the same way. For this Deployment that was a delete and a create of the
	// same name, and where awaiting is skipped the create landed on the object still being
	// deleted, which then went: the agent's Deployment was gone from the cluster while the
	// state held it. The checksum of what the pod reads from the ConfigMaps rolls the pods
	// instead, an update in place.
	template, err := agentPodTemplate(args, labels, agentVolumes{pvc: base, config: configName, scripts: scriptsName})
	if err != nil {
		return nil, fmt.Errorf("agent %q: %w", args.Name, err)
	}
	podMeta, ok := template.Metadata.(*metav1.ObjectMetaArgs)
	if !ok {
		return nil, fmt.Errorf("agent %q: pod template metadata is a %T", args.Name, template.Metadata)
	}
	podAnnotations := pulumi.StringMap{AnnotationConfigSHA256: agentFilesChecksum(configData)}
	podMeta.Annotations = podAnnotations
	depOpts := []pulumi.ResourceOption{renamedChild(child, name+"-deployment", base), pulumi.DependsOn([]pulumi.Resource{pvc, config, scripts})}
	var key *agentKey
	if args.LiteLLM.KeyManaged() {
		if key, err = newAgentKey(ctx, name, args, child); err != nil {
			return nil, fmt.Errorf("agent %q: %w", args.Name, err)
		}
		// The pod reads the key at start: a rotated key restarts it.
		podAnnotations[AnnotationKeySHA256] = key.keySHA.ApplyT(func(h string) string { return h[:16] }).(pulumi.StringOutput)
		depOpts = append(depOpts, pulumi.DependsOn([]pulumi.Resource{key.secret}))
	}
	depMeta := Meta(base, args.Namespace, labels, args.SkipAwait)
	if depMeta.Annotations == nil {
		depMeta.Annotations = pulumi.StringMap{}
	}
	depMeta.Annotations.(pulumi.StringMap)[AnnotationModel] = pulumi.String(args.Codex.Model)
	depMeta.Annotations.(pulumi.StringMap)[contract.ModelAllowlistAnnotation] = pulumi.String(modelAllowlistJSON(args.LiteLLM.ModelAllowlist))
	deployment, err := appsv1.NewDeployment(ctx, name+"-deployment", &appsv1.DeploymentArgs{
		Metadata: depMeta,
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(*args.Replicas),
			// One writer per ReadWriteOnce volume: the old pod must be gone before the new
			// one mounts /state.
			Strategy: &appsv1.DeploymentStrategyArgs{Type: pulumi.String("Recreate")},
			Selector: &metav1.LabelSelectorArgs{MatchLabels: labels.Selector()},
			Template: template,
		},
	}, depOpts...)
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
	agent.RegistryInstall = pulumi.String(agentRegistryInstall(args)).ToStringOutput()
	if key != nil {
		agent.KeySecretName = key.secret.Metadata.Name().Elem()
		agent.KeyManagedBy = pulumi.String(KeyManagedByPulumi).ToStringOutput()
		agent.KeyRegistrationJob = key.jobName
	} else {
		agent.KeySecretName = pulumi.String(args.LiteLLM.KeySecret.Name).ToStringOutput()
		agent.KeyManagedBy = pulumi.String(KeyManagedByOperator).ToStringOutput()
		agent.KeyRegistrationJob = pulumi.String("").ToStringOutput()
	}
	if err := ctx.RegisterResourceOutputs(agent, pulumi.Map{
		"deploymentName":     agent.DeploymentName,
		"pvcName":            agent.PVCName,
		"configMapName":      agent.ConfigMapName,
		"model":              agent.Model,
		"modelAllowlist":     agent.ModelAllowlist,
		"requiredSecrets":    agent.RequiredSecrets,
		"secretCommands":     agent.SecretCommands,
		"keySecretName":      agent.KeySecretName,
		"keyManagedBy":       agent.KeyManagedBy,
		"keyRegistrationJob": agent.KeyRegistrationJob,
		"registryInstall":    agent.RegistryInstall,
	}); err != nil {
		return nil, err
	}
	return agent, nil
}

// agentLabels label the agent's Deployment, pod, PVC, ConfigMaps and key Secret (its
// egress policy and scripts differ only in Component).
func agentLabels(name string) Labels {
	return Labels{Name: "cloud-codex-agent", Instance: name, Component: "agent"}
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
			mcp[id] = codexconfig.MCPServer{Command: s.Command, Args: s.Args, Env: s.Env, EnvVars: slices.Sorted(maps.Keys(s.SecretEnv))}
		}
	}
	return codexconfig.ForLiteLLM(args.Codex.Model, baseURL, mcp)
}

// agentRequiredSecrets lists the Secrets the operator creates and how. A Pulumi-managed
// LiteLLM key is generated and registered here, so only an operator-managed one is listed.
// The value is read from the terminal without echo and piped in, never typed on the
// command line (where it would stay in the shell history and the process list), and
// without a trailing newline (codex would send it in the Authorization header).
func agentRequiredSecrets(args CloudCodexAgentArgs) ([]string, []string) {
	ns := args.Namespace
	secrets := []string{args.Registry.TokenSecret.Name}
	commands := []string{SecretFromStdinCommand(args.Registry.TokenSecret.Name, ns, args.Registry.TokenSecret.Key,
		"the runtime token from the agent platform")}
	if !args.LiteLLM.KeyManaged() {
		secrets = append(secrets, args.LiteLLM.KeySecret.Name)
		commands = append(commands, SecretFromStdinCommand(args.LiteLLM.KeySecret.Name, ns, args.LiteLLM.KeySecret.Key,
			fmt.Sprintf("the LiteLLM virtual key for %s, allowing %s", args.Name, strings.Join(args.LiteLLM.ModelAllowlist, ", "))))
	}
	return secrets, commands
}

// SecretFromStdinCommand is the shell command that creates Secret name with one key whose
// value the operator pastes at a silent prompt (what is the prompt's text).
func SecretFromStdinCommand(name, namespace, key, what string) string {
	return fmt.Sprintf(`printf '%%s: ' '%s' >&2; IFS= read -rs v; echo >&2; printf '%%s' "$v" | kubectl create secret generic %s -n %s --from-file=%s=/dev/stdin; unset v`,
		strings.ReplaceAll(what, "'", ""), name, namespace, key)
}

// agentRegistryInstall is the platform-side step that precedes the runtime-token Secret.
func agentRegistryInstall(args CloudCodexAgentArgs) string {
	return fmt.Sprintf("install agent %s as instance %s in pod %s on %s; put the runtime token it issues in Secret %s",
		contract.AgentRegistryName, args.Name, args.Registry.PodID, args.Registry.APIURL, args.Registry.TokenSecret.Name)
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
