package components

import (
	"fmt"
	"strings"
	"time"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components/podspec"
	"cloud-codex/contract"
	"cloud-codex/litellmconfig"
	"cloud-codex/rotator"
)

// authPoolTimeoutAnnotation tunes how long pulumi-kubernetes waits for an object to
// become ready; authPoolDeploymentTimeout is the Deployment's (seconds).
const (
	authPoolTimeoutAnnotation = "pulumi.com/timeoutSeconds"
	authPoolDeploymentTimeout = "1800"
)

// Volume names of the pool's pod.
const (
	authPoolVolAuth    = "chatgpt-auth"
	authPoolVolConfig  = "litellm-config"
	authPoolVolSource  = "rotator-src"
	authPoolVolBin     = "rotator-bin"
	authPoolVolScripts = "auth-pool-scripts"
	// authPoolLoginConfigFile is codex's config.toml for auth-login, in the scripts volume.
	authPoolLoginConfigFile = "codex-login-config.toml"
)

// The container images' default PATH (Debian), extended for the codex-cli station.
const authPoolDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// authPoolSleepForever keeps the codex-cli station up and exits at once on SIGTERM (a bare
// `sleep` as PID 1 would ignore it and hold the pod for the whole grace period).
const authPoolSleepForever = `trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done`

// authPoolScratchSize bounds the pool pod's /tmp (npm's cache for the codex install, the
// rotator's go build cache, auth-login's throwaway codex homes).
const authPoolScratchSize = "1Gi"

// Resources of the pool's helper containers (not configurable: they are small and fixed).
var (
	authPoolInstallResources = requestsAndLimits("100m", "256Mi", "1", "1Gi")
	authPoolStationResources = requestsAndLimits("10m", "64Mi", "500m", "512Mi")
	authPoolRotatorResources = requestsAndLimits("10m", "32Mi", "200m", "128Mi")
)

func authPoolHTTPProbe(path string, period, failures int) *corev1.ProbeArgs {
	return &corev1.ProbeArgs{
		HttpGet:          &corev1.HTTPGetActionArgs{Path: pulumi.String(path), Port: pulumi.String("http")},
		PeriodSeconds:    pulumi.Int(period),
		TimeoutSeconds:   pulumi.Int(5),
		FailureThreshold: pulumi.Int(failures),
	}
}

// authPoolAccountFlags are the flags seed and run share: the auth directory, the accounts
// (--reserved only when there are any), and the namespace and Deployment that the
// rotator's messages use in the auth-login command they tell operators to run.
func authPoolAccountFlags(a LiteLLMAuthPoolArgs, deployment string) []string {
	flags := []string{"--dir", authPoolAuthDir, "--accounts", rotator.FormatAccountList(a.Accounts.InRotation)}
	if len(a.Accounts.Reserved) > 0 {
		flags = append(flags, "--reserved", rotator.FormatAccountList(a.Accounts.Reserved))
	}
	return append(flags, "--namespace", a.Namespace, "--deployment", deployment)
}

func authPoolCodexDir(version string) string { return authPoolToolsDir + "/codex-" + version }

// authPoolPodSpec is the pool's pod. Init containers run in this order:
//  1. build-rotator compiles the rotator from the source ConfigMap into an emptyDir;
//  2. install-codex installs the pinned codex CLI onto the auth volume, once per version;
//  3. codex-cli, a native sidecar (restartPolicy Always): the device-auth station, up
//     from here on so an operator can log an account in while seed waits;
//  4. seed writes a valid flat auth.json, or waits (pod not ready, with a clear log
//     message) until an account is imported: LiteLLM never starts without a token file,
//     so it never falls into its in-request device login.
//
// Then litellm and the rotator sidecar run.
func authPoolPodSpec(b *authPoolBuild) *corev1.PodSpecArgs {
	a, names := b.args, b.names
	accountFlags := authPoolAccountFlags(a, names.deployment)
	codexBin := authPoolCodexDir(a.CodexVersion) + "/node_modules/.bin/codex"

	rotatorBuild := authPoolRotatorBuild(b)
	buildRotator := rotatorBuild.BuildContainer()
	sourceVolume, binVolume := rotatorBuild.Volumes()

	installCodex := &corev1.ContainerArgs{
		Name:    pulumi.String("install-codex"),
		Image:   pulumi.String(DefaultAgentImage),
		Command: pulumi.ToStringArray([]string{"/bin/sh", authPoolScriptsDir + "/install-codex"}),
		Env: corev1.EnvVarArray{
			podspec.Env("CODEX_VERSION", a.CodexVersion),
			podspec.Env("TOOLS_DIR", authPoolToolsDir),
			podspec.Env("HOME", "/tmp"),
			podspec.Env("npm_config_cache", "/tmp/npm-cache"),
			podspec.Env("NPM_CONFIG_UPDATE_NOTIFIER", "false"),
		},
		Resources:       resourceRequirements(authPoolInstallResources),
		SecurityContext: podspec.RestrictedContainer(authPoolUID),
		VolumeMounts: corev1.VolumeMountArray{
			podspec.Mount(authPoolVolAuth, authPoolAuthDir, false),
			podspec.Mount(authPoolVolScripts, authPoolScriptsDir, true),
			// HOME and npm's cache.
			podspec.Mount(podspec.ScratchVolume, podspec.ScratchDir, false),
		},
	}

	codexCLI := &corev1.ContainerArgs{
		Name:          pulumi.String("codex-cli"),
		Image:         pulumi.String(DefaultAgentImage),
		RestartPolicy: pulumi.String("Always"),
		Command:       pulumi.ToStringArray([]string{"/bin/sh", "-c", authPoolSleepForever}),
		Env: corev1.EnvVarArray{
			podspec.Env("PATH", strings.Join([]string{authPoolScriptsDir, authPoolCodexDir(a.CodexVersion) + "/node_modules/.bin", authPoolBinDir, authPoolDefaultPath}, ":")),
			podspec.Env("HOME", "/tmp"),
			podspec.Env("AUTH_POOL_DIR", authPoolAuthDir),
			podspec.Env("AUTH_POOL_ACCOUNTS", rotator.FormatAccountList(a.Accounts.InRotation)),
			podspec.Env("AUTH_POOL_RESERVED", rotator.FormatAccountList(a.Accounts.Reserved)),
			podspec.Env("AUTH_POOL_INTERVAL", a.RotationInterval),
			podspec.Env("AUTH_POOL_NAMESPACE", a.Namespace),
			podspec.Env("AUTH_POOL_DEPLOYMENT", names.deployment),
			podspec.Env("CODEX_BIN", codexBin),
			podspec.Env("ROTATOR_BIN", authPoolRotatorBin),
			podspec.Env("AUTH_POOL_LOGIN_CONFIG", authPoolScriptsDir+"/"+authPoolLoginConfigFile),
		},
		Resources:       resourceRequirements(authPoolStationResources),
		SecurityContext: podspec.RestrictedContainer(authPoolUID),
		VolumeMounts: corev1.VolumeMountArray{
			podspec.Mount(authPoolVolAuth, authPoolAuthDir, false),
			rotatorBuild.BinMount(),
			podspec.Mount(authPoolVolScripts, authPoolScriptsDir, true),
			// HOME, and auth-login's throwaway codex home (mktemp -d).
			podspec.Mount(podspec.ScratchVolume, podspec.ScratchDir, false),
		},
	}

	seed := &corev1.ContainerArgs{
		Name:            pulumi.String("seed"),
		Image:           pulumi.String(RotatorRunImage),
		Command:         pulumi.ToStringArray(append(append([]string{authPoolRotatorBin, "seed"}, accountFlags...), a.Upstream.rotatorFlags()...)),
		Resources:       resourceRequirements(authPoolRotatorResources),
		SecurityContext: podspec.RestrictedContainer(authPoolUID),
		VolumeMounts: corev1.VolumeMountArray{
			podspec.Mount(authPoolVolAuth, authPoolAuthDir, false),
			rotatorBuild.BinMount(),
		},
	}

	env := corev1.EnvVarArray{
		podspec.Env("CHATGPT_TOKEN_DIR", authPoolAuthDir),
		podspec.Env("CHATGPT_AUTH_FILE", "auth.json"),
		// LiteLLM's generic_api callback posts every request's outcome to the rotator.
		podspec.Env("GENERIC_LOGGER_ENDPOINT", "http://"+authPoolEventListen+rotator.EventsPath),
	}
	env = append(env,
		podspec.SecretEnv(contract.MasterKeyEnv, names.masterKey, contract.MasterKeyEnv),
		podspec.SecretEnv(contract.SaltKeyEnv, names.saltKey, contract.SaltKeyEnv),
		podspec.SecretEnv("DATABASE_URL", names.databaseSecret, names.databaseKey),
	)
	env = append(env, authPoolModelKeyEnvs(a)...)
	env = append(env, a.Upstream.liteLLMEnv()...)
	litellm := &corev1.ContainerArgs{
		Name:  pulumi.String("litellm"),
		Image: pulumi.String(a.Image),
		Args: pulumi.ToStringArray([]string{
			"--config", authPoolConfigDir + "/" + litellmconfig.FileName,
			"--port", "4000",
			"--num_workers", "1", // one process per token file
		}),
		Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{
			Name: pulumi.String("http"), ContainerPort: pulumi.Int(AuthPoolPort), Protocol: pulumi.String("TCP"),
		}},
		Env: env,
		// Never /health: it needs a key and calls every model (burns quota).
		LivenessProbe:  authPoolHTTPProbe("/health/liveliness", 15, 4),
		ReadinessProbe: authPoolHTTPProbe("/health/readiness", 10, 3),
		// 30 × 10 s = 5 minutes for Prisma's database migrations at first start.
		StartupProbe: authPoolHTTPProbe("/health/readiness", 10, 30),
		Resources:    resourceRequirements(*a.Resources),
		// The one container with a writable root: LiteLLM's Prisma migrations write into the
		// image's own package directories at start (docs/litellm-image.md).
		SecurityContext: podspec.WritableRootContainer(authPoolUID),
		VolumeMounts: corev1.VolumeMountArray{
			podspec.Mount(authPoolVolAuth, authPoolAuthDir, false),
			podspec.Mount(authPoolVolConfig, authPoolConfigDir, true),
		},
	}

	rotatorC := &corev1.ContainerArgs{
		Name:  pulumi.String("rotator"),
		Image: pulumi.String(RotatorRunImage),
		Command: pulumi.ToStringArray(append(append(append([]string{authPoolRotatorBin, "run"}, accountFlags...),
			"--interval", a.RotationInterval, "--listen", authPoolEventListen), a.Upstream.rotatorFlags()...)),
		// The pool is Ready only while the rotator says LiteLLM's token file is usable: with no
		// usable account it holds a fail-fast file (docs/rotator.md) and the Service must not
		// route to it. Exec, because the rotator listens on loopback only.
		ReadinessProbe: &corev1.ProbeArgs{
			Exec:             &corev1.ExecActionArgs{Command: pulumi.ToStringArray([]string{authPoolRotatorBin, "ready", "--dir", authPoolAuthDir})},
			PeriodSeconds:    pulumi.Int(10),
			TimeoutSeconds:   pulumi.Int(5),
			FailureThreshold: pulumi.Int(1),
		},
		Resources:       resourceRequirements(authPoolRotatorResources),
		SecurityContext: podspec.RestrictedContainer(authPoolUID),
		VolumeMounts: corev1.VolumeMountArray{
			podspec.Mount(authPoolVolAuth, authPoolAuthDir, false),
			rotatorBuild.BinMount(),
		},
	}

	return &corev1.PodSpecArgs{
		// None of the containers talks to the Kubernetes API.
		AutomountServiceAccountToken: pulumi.Bool(false),
		// A Service named "litellm" would otherwise inject LITELLM_PORT=tcp://... and
		// friends into the LiteLLM container's environment.
		EnableServiceLinks: pulumi.Bool(false),
		SecurityContext:    podspec.RestrictedPodAs(authPoolUID),
		// A stopping rotator finishes a token exchange it has sent (the refresh token is
		// spent the moment it arrives): the kubelet must not kill it before the answer.
		TerminationGracePeriodSeconds: pulumi.Int(int(rotator.TerminationGracePeriod / time.Second)),
		InitContainers:                corev1.ContainerArray{buildRotator, installCodex, codexCLI, seed},
		Containers:                    corev1.ContainerArray{litellm, rotatorC},
		Volumes: corev1.VolumeArray{
			&corev1.VolumeArgs{
				Name:                  pulumi.String(authPoolVolAuth),
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSourceArgs{ClaimName: pulumi.String(names.authClaim)},
			},
			&corev1.VolumeArgs{
				Name: pulumi.String(authPoolVolConfig),
				ConfigMap: &corev1.ConfigMapVolumeSourceArgs{
					Name:  pulumi.String(names.config),
					Items: corev1.KeyToPathArray{&corev1.KeyToPathArgs{Key: pulumi.String(litellmconfig.FileName), Path: pulumi.String(litellmconfig.FileName)}},
				},
			},
			sourceVolume,
			binVolume,
			podspec.Scratch(authPoolScratchSize),
			&corev1.VolumeArgs{
				Name: pulumi.String(authPoolVolScripts),
				ConfigMap: &corev1.ConfigMapVolumeSourceArgs{
					Name:        pulumi.String(names.scripts),
					DefaultMode: pulumi.Int(0o555),
					Items: corev1.KeyToPathArray{
						&corev1.KeyToPathArgs{Key: pulumi.String("auth-login"), Path: pulumi.String("auth-login")},
						&corev1.KeyToPathArgs{Key: pulumi.String("install-codex"), Path: pulumi.String("install-codex")},
						&corev1.KeyToPathArgs{Key: pulumi.String(authPoolLoginConfigFile), Path: pulumi.String(authPoolLoginConfigFile), Mode: pulumi.Int(0o444)},
					},
				},
			},
		},
	}
}

// authPoolRotatorBuild compiles the rotator from the source ConfigMap for the pod's seed,
// rotator and codex-cli containers.
func authPoolRotatorBuild(b *authPoolBuild) podspec.ShippedGo {
	return podspec.ShippedGo{
		Container:       "build-rotator",
		Image:           GoBuildImage,
		Package:         rotator.BuildPackage,
		Files:           b.sources,
		SourceConfigMap: pulumi.String(b.names.source),
		SourceVolume:    authPoolVolSource,
		SourceDir:       authPoolSrcDir,
		BinVolume:       authPoolVolBin,
		BinDir:          authPoolBinDir,
		BinSize:         "128Mi",
		Binary:          authPoolRotatorBinary,
		UID:             authPoolUID,
		Scratch:         podspec.Mount(podspec.ScratchVolume, podspec.ScratchDir, false),
	}
}

// authPoolDeployment declares the pool's Deployment: exactly one replica (one process per
// token file) and Recreate (the RWO auth volume cannot be shared by two pods, and two
// LiteLLMs would both refresh the same single-use refresh token).
func authPoolDeployment(ctx *pulumi.Context, name string, b *authPoolBuild, opts ...pulumi.ResourceOption) (*appsv1.Deployment, error) {
	a := b.args
	spec := authPoolPodSpec(b)
	if err := a.Placement.apply(spec); err != nil {
		return nil, fmt.Errorf("placement: %w", err)
	}
	meta := Meta(b.names.deployment, a.Namespace, b.labels, a.SkipAwait)
	if !a.SkipAwait {
		// On the first deployment no account exists yet: seed keeps the pod not ready until
		// an operator runs auth-login (a device code is valid 15 minutes). Give that time
		// instead of pulumi-kubernetes' default 10 minutes.
		meta.Annotations = pulumi.StringMap{authPoolTimeoutAnnotation: pulumi.String(authPoolDeploymentTimeout)}
	}
	return appsv1.NewDeployment(ctx, name+"-deployment", &appsv1.DeploymentArgs{
		Metadata: meta,
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas:             pulumi.Int(1),
			RevisionHistoryLimit: pulumi.Int(3),
			Strategy:             &appsv1.DeploymentStrategyArgs{Type: pulumi.String("Recreate")},
			Selector:             &metav1.LabelSelectorArgs{MatchLabels: b.labels.Selector()},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels: b.labels.All(),
					Annotations: pulumi.StringMap{
						authPoolTemplateChecksum:                  pulumi.String(b.checksum),
						"kubectl.kubernetes.io/default-container": pulumi.String("litellm"),
					},
				},
				Spec: spec,
			},
		},
	}, opts...)
}
