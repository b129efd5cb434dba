package components

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components/podspec"
	"cloud-codex/contract"
)

// agentUID is the node image's "node" user; fsGroup makes /state writable for it.
const agentUID = 1000

// Paths inside the agent pod.
const (
	agentStateDir   = "/state"
	agentCodexHome  = "/state/.codex"
	agentConfigDir  = "/etc/cloud-codex/config"
	agentScriptsDir = "/etc/cloud-codex/scripts"
)

// agentVolumes names the objects the pod mounts: plain names, never another resource's
// output (agent.go says why).
type agentVolumes struct{ pvc, config, scripts string }

func agentPodTemplate(args CloudCodexAgentArgs, labels Labels, vols agentVolumes) (*corev1.PodTemplateSpecArgs, error) {
	toolsDir := toolsDirName(args)
	mounts := corev1.VolumeMountArray{
		// Written without a readOnly field, as deployed agents have it: podspec.Mount writes
		// readOnly: false out, which would change every agent's Deployment (as ScratchMount).
		corev1.VolumeMountArgs{Name: pulumi.String("state"), MountPath: pulumi.String(agentStateDir)},
		podspec.Mount("scripts", agentScriptsDir, true),
		podspec.ScratchMount(),
	}
	resources := resourceRequirements(args.Resources)
	initContainers := corev1.ContainerArray{
		corev1.ContainerArgs{
			Name:    pulumi.String("install-tools"),
			Image:   pulumi.String(args.Image),
			Command: pulumi.ToStringArray([]string{"/bin/sh", agentScriptsDir + "/agent-install-tools.sh"}),
			Env: corev1.EnvVarArray{
				podspec.Env("HOME", agentStateDir),
				podspec.Env("TOOLS_DIR", toolsDir),
				podspec.Env("CODEX_VERSION", args.Codex.Version),
				podspec.Env("RUNNER_PACKAGES", strings.Join(args.Runner.Packages, " ")),
				podspec.Env("NPM_CONFIG_UPDATE_NOTIFIER", "false"),
			},
			VolumeMounts:    mounts,
			Resources:       resources,
			SecurityContext: podspec.RestrictedContainer(agentUID),
		},
	}
	if g := args.Runner.Git; g != nil {
		initContainers = append(initContainers, corev1.ContainerArgs{
			Name:  pulumi.String("install-runner"),
			Image: pulumi.String(g.Image),
			// The install command is passed as arguments, never through a shell string.
			Command: pulumi.ToStringArray(append([]string{"/bin/sh", agentScriptsDir + "/agent-install-runner.sh"}, g.Install...)),
			Env: corev1.EnvVarArray{
				podspec.Env("HOME", agentStateDir),
				podspec.Env("RUNNER_GIT_URL", g.URL),
				podspec.Env("RUNNER_GIT_REF", g.Ref),
				podspec.Env("RUNNER_GIT_PATH", g.Path),
				podspec.Env("RUNNER_DIR", runnerDirName(*g)),
				podspec.Env("NPM_CONFIG_UPDATE_NOTIFIER", "false"),
				// git must not ask for credentials on a terminal the pod does not have.
				podspec.Env("GIT_TERMINAL_PROMPT", "0"),
			},
			VolumeMounts:    mounts,
			Resources:       resources,
			SecurityContext: podspec.RestrictedContainer(agentUID),
		})
	}
	spec := &corev1.PodSpecArgs{
		SecurityContext:               podspec.RestrictedPod(agentUID),
		AutomountServiceAccountToken:  pulumi.Bool(false),
		TerminationGracePeriodSeconds: pulumi.Int(30),
		InitContainers:                initContainers,
		Containers: corev1.ContainerArray{
			corev1.ContainerArgs{
				Name:            pulumi.String("agent"),
				Image:           pulumi.String(args.Image),
				Command:         pulumi.ToStringArray(append([]string{"/bin/sh", agentScriptsDir + "/agent-boot.sh"}, args.Runner.Command...)),
				Env:             agentEnv(args, toolsDir),
				VolumeMounts:    append(mounts, podspec.Mount("config", agentConfigDir, true)),
				Resources:       resources,
				SecurityContext: podspec.RestrictedContainer(agentUID),
			},
		},
		Volumes: corev1.VolumeArray{
			corev1.VolumeArgs{Name: pulumi.String("state"), PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSourceArgs{ClaimName: pulumi.String(vols.pvc)}},
			corev1.VolumeArgs{Name: pulumi.String("config"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: pulumi.String(vols.config)}},
			corev1.VolumeArgs{Name: pulumi.String("scripts"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{
				Name: pulumi.String(vols.scripts), DefaultMode: pulumi.Int(0o555),
			}},
			// npm's temporary files, node's os.tmpdir() (codex's and the platform CLI's
			// per-turn files), git: the root filesystem is read-only.
			podspec.Scratch(agentScratchSize),
		},
	}
	if err := args.Placement.apply(spec); err != nil {
		return nil, fmt.Errorf("placement: %w", err)
	}
	return &corev1.PodTemplateSpecArgs{
		Metadata: &metav1.ObjectMetaArgs{Labels: labels.All()},
		Spec:     spec,
	}, nil
}

// agentScratchSize bounds the agent pod's /tmp.
const agentScratchSize = "1Gi"

// agentEnv: identity is fixed (agentName codex, instanceId = name); secrets only by
// reference. The LiteLLM key is optional so a missing Secret gives a loud warning at boot
// instead of a pod stuck in CreateContainerConfigError; the runtime token is required.
func agentEnv(args CloudCodexAgentArgs, toolsDir string) corev1.EnvVarArray {
	env := corev1.EnvVarArray{
		podspec.Env("HOME", agentStateDir),
		podspec.Env(contract.CodexHomeEnv, agentCodexHome),
		podspec.Env("TOOLS_DIR", toolsDir),
		podspec.Env("LITELLM_KEY_SECRET", args.LiteLLM.KeySecret.Name),
		args.LiteLLM.KeySecret.EnvFrom(contract.LiteLLMAPIKeyEnv, true),
		podspec.Env(contract.AgentNameEnv, contract.AgentRegistryName),
		podspec.Env(contract.InstanceIDEnv, args.Name),
		podspec.Env("COMMONLY_POD_ID", args.Registry.PodID),
		podspec.Env("COMMONLY_API_URL", args.Registry.APIURL),
		args.Registry.TokenSecret.EnvFrom("COMMONLY_RUNTIME_TOKEN", false),
	}
	if g := args.Runner.Git; g != nil {
		env = append(env, podspec.Env("RUNNER_DIR", runnerDirName(*g)))
	}
	for _, id := range slices.Sorted(maps.Keys(args.Codex.MCPServers)) {
		s := args.Codex.MCPServers[id]
		for _, name := range slices.Sorted(maps.Keys(s.SecretEnv)) {
			env = append(env, s.SecretEnv[name].EnvFrom(name, false))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(args.Env)) {
		env = append(env, podspec.Env(name, args.Env[name]))
	}
	return env
}
