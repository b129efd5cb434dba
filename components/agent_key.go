package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components/podspec"
	"cloud-codex/keyregistrar"
)

// Annotations of the agent Deployment that declare its model and its key's allowlist (the
// policy pack's agent-model-in-key-allowlist rule reads them), and of its pod template.
const (
	// AnnotationModel is the LiteLLM model the agent asks for.
	AnnotationModel = "cloud-codex.dev/model"
	// AnnotationKeySHA256 (pod template, Pulumi-managed keys only) is a short SHA-256 of the
	// key value: a rotated key restarts the agent, which reads the key at start.
	AnnotationKeySHA256 = "cloud-codex.dev/litellm-key-sha256"
	// annotationReplaceUnready makes pulumi-kubernetes replace a Job that failed in an
	// earlier update (instead of waiting on it again): fix the cause, run `pulumi up`.
	annotationReplaceUnready = "pulumi.com/replaceUnready"
	// annotationTimeoutSeconds is how long pulumi-kubernetes waits for the Job to complete.
	annotationTimeoutSeconds = "pulumi.com/timeoutSeconds"
)

// LiteLLM's allowlist entry that allows every model of the proxy.
const allProxyModels = "all-proxy-models"

// The key registration Job.
const (
	// agentKeyJobDeadline bounds the whole Job (s): the registrar waits up to 25 minutes
	// for LiteLLM (which on a first deployment starts only after a device-auth login),
	// plus the build.
	agentKeyJobDeadline = 1800
	// agentKeyJobAwait is how long `pulumi up` waits for the Job (s), a little longer.
	agentKeyJobAwait = "2100"
	// agentKeyJobBackoff: one retry of a failed pod (a node lost, an eviction); a
	// registration refused by LiteLLM fails the same way twice.
	agentKeyJobBackoff = 1
	// keyRegistrarUID is distroless' nonroot user; every container of the Job runs as it.
	keyRegistrarUID = 65532
	keyRegistrarSrc = "/src"
	keyRegistrarBin = "/registrar-bin"
	// agentKeyJobSpecVersion is part of the Job's name hash: bump it when the Job template
	// changes in a way that must run the registration again.
	agentKeyJobSpecVersion = 1
)

// keyRegistrarRunResources: the registrar makes a few HTTP calls (its build's are
// podspec.ShippedGo's).
var keyRegistrarRunResources = requestsAndLimits("10m", "32Mi", "200m", "64Mi")

// AgentLiteLLMKeyAlias is the key_alias of an agent's key in LiteLLM.
func AgentLiteLLMKeyAlias(name string) string { return "cloud-codex-" + name }

// AgentKeyJobName is the key registration Job's name for a spec hash.
func AgentKeyJobName(name, hash string) string { return "cloud-codex-" + name + "-key-" + hash }

// agentKeyJobSpec is everything the registration Job does: its hash names the Job, so a
// change to any of it creates a new Job, which registers again.
type agentKeyJobSpec struct {
	Version         int               `json:"version"`
	KeySHA256       string            `json:"keySha256"` // of the value: never the key itself
	Alias           string            `json:"alias"`
	Models          []string          `json:"models"`
	Metadata        map[string]string `json:"metadata"`
	URL             string            `json:"url"`
	MasterKeySecret SecretRef         `json:"masterKeySecret"`
	KeySecret       SecretRef         `json:"keySecret"`
	SourceSHA256    string            `json:"sourceSha256"`
	BuildImage      string            `json:"buildImage"`
	RunImage        string            `json:"runImage"`
}

// hash is a 10-hex-digit digest of the spec (the Job name stays within 63 characters).
func (s agentKeyJobSpec) hash() string {
	data, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("agentKeyJobSpec: %v", err)) // plain strings and maps: cannot fail
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:10]
}

// sha256Hex is the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// agentKeyMetadata is stored with the key in LiteLLM.
func agentKeyMetadata(args CloudCodexAgentArgs) map[string]string {
	return map[string]string{"managed-by": "cloud-codex", "agent": args.Name, "namespace": args.Namespace}
}

// modelAllowlistJSON is the allowlist annotation's value.
func modelAllowlistJSON(list []string) string {
	data, err := json.Marshal(list)
	if err != nil {
		panic(err) // a []string: cannot fail
	}
	return string(data)
}

// agentKey is what a Pulumi-managed key adds to the agent.
type agentKey struct {
	secret *corev1.Secret
	// keySHA is the SHA-256 of the key value, not secret (a digest of 48 random characters).
	keySHA  pulumi.StringOutput
	jobName pulumi.StringOutput
}

// newAgentKey declares the agent's key value, its Secret and the Job that registers it in
// LiteLLM, all children of the agent (component) called name.
func newAgentKey(ctx *pulumi.Context, name string, args CloudCodexAgentArgs, child pulumi.ResourceOption) (*agentKey, error) {
	base := AgentResourceName(args.Name)
	labels := agentLabels(args.Name)
	ref := args.LiteLLM.KeySecret

	// The key is generated once (`pulumi up --replace <its RandomPassword's URN>` rotates
	// it, see docs/virtual-keys.md).
	secret, value, err := newSKSecret(ctx, name+"-litellm-key", Meta(ref.Name, args.Namespace, labels, args.SkipAwait), ref.Key,
		renamedChild(child, name+"-litellm-key", base+"-litellm-key"))
	if err != nil {
		return nil, err
	}
	keySHA := pulumi.Unsecret(value.ApplyT(sha256Hex)).(pulumi.StringOutput)

	spec := agentKeyJobSpec{
		Version:      agentKeyJobSpecVersion,
		Alias:        AgentLiteLLMKeyAlias(args.Name),
		Models:       slices.Clone(args.LiteLLM.ModelAllowlist),
		Metadata:     agentKeyMetadata(args),
		KeySecret:    ref,
		SourceSHA256: keyRegistrarChecksum(),
		BuildImage:   GoBuildImage,
		RunImage:     RotatorRunImage,
	}
	master := args.LiteLLM.MasterKeySecret
	jobName := pulumi.All(keySHA, args.LiteLLM.AdminURL, master.Name).ApplyT(func(v []any) (string, error) {
		s := spec
		s.KeySHA256, s.URL = v[0].(string), v[1].(string)
		s.MasterKeySecret = SecretRef{Name: v[2].(string), Key: master.Key}
		if _, err := keyregistrar.AdminBase(s.URL); err != nil {
			return "", fmt.Errorf("agent %q: litellm.adminUrl: %w", args.Name, err)
		}
		return AgentKeyJobName(args.Name, s.hash()), nil
	}).(pulumi.StringOutput)

	jobLabels := Labels{Name: "cloud-codex-key-registrar", Instance: args.Name, Component: "agent"}
	annotations := pulumi.StringMap{}
	if args.SkipAwait {
		annotations[SkipAwaitAnnotation] = pulumi.String("true")
	} else {
		annotations[annotationTimeoutSeconds] = pulumi.String(agentKeyJobAwait)
		annotations[annotationReplaceUnready] = pulumi.String("true")
	}
	podSpec, err := agentKeyJobPodSpec(args, spec)
	if err != nil {
		return nil, fmt.Errorf("key registration Job: %w", err)
	}
	job, err := batchv1.NewJob(ctx, name+"-litellm-key-registration", &batchv1.JobArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        jobName,
			Namespace:   pulumi.String(args.Namespace),
			Labels:      jobLabels.All(),
			Annotations: annotations,
		},
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit:          pulumi.Int(agentKeyJobBackoff),
			ActiveDeadlineSeconds: pulumi.Int(agentKeyJobDeadline),
			// No ttlSecondsAfterFinished: the finished Job is Pulumi state (a TTL would
			// delete it behind Pulumi's back: drift on refresh, a needless re-run) and its
			// pod keeps LiteLLM's answer in its log. A new spec replaces it.
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: jobLabels.All()},
				Spec:     podSpec,
			},
		},
	}, renamedChild(child, name+"-litellm-key-registration", base+"-litellm-key-registration"), pulumi.DependsOn([]pulumi.Resource{secret}))
	if err != nil {
		return nil, fmt.Errorf("key registration Job: %w", err)
	}
	return &agentKey{secret: secret, keySHA: keySHA, jobName: job.Metadata.Name().Elem()}, nil
}

// agentKeyJobPodSpec: build-registrar compiles the registrar from the shared source
// ConfigMap into an emptyDir (GoBuildImage, no network needed: standard library only),
// then register runs it on the distroless image with the two keys from their Secrets.
func agentKeyJobPodSpec(args CloudCodexAgentArgs, spec agentKeyJobSpec) (*corev1.PodSpecArgs, error) {
	build := podspec.ShippedGo{
		Container:       "build-registrar",
		Image:           GoBuildImage,
		Package:         keyregistrar.BuildPackage,
		BuildFlags:      []string{"-trimpath"},
		Files:           keyRegistrarSourceFiles(),
		SourceConfigMap: args.LiteLLM.RegistrarSource,
		SourceVolume:    "registrar-src",
		SourceDir:       keyRegistrarSrc,
		BinVolume:       "registrar-bin",
		BinDir:          keyRegistrarBin,
		BinSize:         "64Mi",
		Binary:          keyregistrar.BinaryName,
		UID:             keyRegistrarUID,
		Scratch:         podspec.ScratchMount(),
	}
	bin := build.BinaryPath()
	sourceVolume, binVolume := build.Volumes()
	command := pulumi.StringArray{pulumi.String(bin), pulumi.String("--url"), args.LiteLLM.AdminURL, pulumi.String("--alias"), pulumi.String(spec.Alias)}
	for _, m := range spec.Models {
		command = append(command, pulumi.String("--model"), pulumi.String(m))
	}
	for _, k := range slices.Sorted(maps.Keys(spec.Metadata)) {
		command = append(command, pulumi.String("--metadata"), pulumi.String(k+"="+spec.Metadata[k]))
	}
	podSpec := &corev1.PodSpecArgs{
		RestartPolicy:                pulumi.String("Never"),
		AutomountServiceAccountToken: pulumi.Bool(false),
		EnableServiceLinks:           pulumi.Bool(false),
		SecurityContext:              podspec.RestrictedPodAs(keyRegistrarUID),
		InitContainers:               corev1.ContainerArray{build.BuildContainer()},
		Containers: corev1.ContainerArray{&corev1.ContainerArgs{
			Name:    pulumi.String("register"),
			Image:   pulumi.String(RotatorRunImage),
			Command: command,
			Env: corev1.EnvVarArray{
				args.LiteLLM.MasterKeySecret.EnvFrom(keyregistrar.EnvMasterKey, false),
				args.LiteLLM.KeySecret.EnvFrom(keyregistrar.EnvKey, false),
			},
			Resources:       resourceRequirements(keyRegistrarRunResources),
			SecurityContext: podspec.RestrictedContainer(keyRegistrarUID),
			VolumeMounts:    corev1.VolumeMountArray{build.BinMount()},
		}},
		Volumes: corev1.VolumeArray{
			sourceVolume,
			binVolume,
			podspec.Scratch(podspec.GoBuildScratchSize),
		},
	}
	// The agent's placement: the Job runs where the agent may run (e.g. its node pool).
	if err := args.Placement.apply(podSpec); err != nil {
		return nil, fmt.Errorf("placement: %w", err)
	}
	return podSpec, nil
}
