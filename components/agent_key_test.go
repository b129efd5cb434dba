package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"cloud-codex/contract"
	"cloud-codex/keyregistrar"
)

const (
	agentRandomPasswordType = "random:index/randomPassword:RandomPassword"
	agentSecretType         = "kubernetes:core/v1:Secret"
	agentJobType            = "kubernetes:batch/v1:Job"
	agentDeploymentType     = "kubernetes:apps/v1:Deployment"
)

// agentJob returns the agent's key registration Job (its name carries a hash).
func agentJob(t *testing.T, r *agentRun) recordedResource {
	t.Helper()
	var jobs []recordedResource
	for _, res := range r.mocks.resources() {
		if res.Type == agentJobType {
			jobs = append(jobs, res)
		}
	}
	require.Len(t, jobs, 1)
	return jobs[0]
}

func jobName(t *testing.T, args CloudCodexAgentArgs) string {
	t.Helper()
	return at(t, agentJob(t, mustRunAgent(t, args)).Plain, "metadata", "name").(string)
}

func jobContainer(t *testing.T, job recordedResource, list, name string) map[string]any {
	t.Helper()
	for _, c := range at(t, job.Plain, "spec", "template", "spec", list).([]any) {
		if c.(map[string]any)["name"] == name {
			return c.(map[string]any)
		}
	}
	require.Failf(t, "missing container", "%s %q", list, name)
	return nil
}

func TestAgentManagedKeyIsGeneratedAndKeptSecret(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())

	var pw *recordedResource
	for _, res := range r.mocks.resources() {
		if res.Type == agentRandomPasswordType {
			pw = &res
		}
	}
	require.NotNil(t, pw, "the key value comes from pulumi-random")
	require.Equal(t, r.urn, pw.Parent)
	require.Equal(t, "cody-litellm-key", pw.Name, "its URN is what `pulumi up --replace` rotates")
	require.GreaterOrEqual(t, pw.Plain["length"].(float64), 32.0)
	require.Equal(t, false, pw.Plain["special"], "alphanumeric: no quoting anywhere")

	secret := r.mocks.k8s(t, agentSecretType, "cloud-codex-cody-litellm-key")
	require.Equal(t, r.urn, secret.Parent)
	require.Equal(t, "Opaque", secret.Plain["type"])
	require.Equal(t, "agents", at(t, secret.Plain, "metadata", "namespace"))
	require.Equal(t, map[string]any{"key": "sk-" + mockRandomPassword}, secret.Plain["stringData"])
	require.True(t, secret.Inputs["stringData"].ContainsSecrets(), "the key value stays a Pulumi secret")
	require.Empty(t, secret.IgnoreChanges)
	require.False(t, secret.Retain)

	// The agent pod still reads it through the same optional secretKeyRef.
	dep := r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody")
	env := envOf(t, containerNamed(t, dep, "containers", "agent"))
	require.Equal(t, envSource{secret: "cloud-codex-cody-litellm-key", key: "key", optional: true}, env["LITELLM_API_KEY"])
}

func TestAgentDeploymentDeclaresItsModelAndAllowlist(t *testing.T) {
	args := testAgentArgs()
	args.LiteLLM.ModelAllowlist = []string{DefaultResponsesAlias, "codex-cli/gpt-5.3"}
	r := mustRunAgent(t, args)
	dep := r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody")
	annotations := at(t, dep.Plain, "metadata", "annotations").(map[string]any)
	require.Equal(t, DefaultResponsesAlias, annotations[AnnotationModel])
	var allow []string
	require.NoError(t, json.Unmarshal([]byte(annotations[contract.ModelAllowlistAnnotation].(string)), &allow))
	require.Equal(t, []string{DefaultResponsesAlias, "codex-cli/gpt-5.3"}, allow)
	require.NotContains(t, annotations, SkipAwaitAnnotation)

	// A rotated key restarts the pod: its template carries a digest of the key, never the key.
	sum := sha256.Sum256([]byte("sk-" + mockRandomPassword))
	podAnnotations := at(t, dep.Plain, "spec", "template", "metadata", "annotations").(map[string]any)
	require.Equal(t, hex.EncodeToString(sum[:])[:16], podAnnotations[AnnotationKeySHA256])
	require.False(t, dep.Inputs.ContainsSecrets(), "nothing secret reaches the Deployment")

	// Operator-managed: the same declaration, and no key digest.
	r = mustRunAgent(t, operatorManaged(testAgentArgs()))
	dep = r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody")
	require.Equal(t, `["`+DefaultResponsesAlias+`"]`, at(t, dep.Plain, "metadata", "annotations", contract.ModelAllowlistAnnotation))
	require.NotContains(t, at(t, dep.Plain, "spec", "template", "metadata", "annotations"), AnnotationKeySHA256)

	// SkipAwait keeps its annotation next to the declaration.
	args = testAgentArgs()
	args.SkipAwait = true
	dep = mustRunAgent(t, args).mocks.k8s(t, agentDeploymentType, "cloud-codex-cody")
	require.Equal(t, "true", at(t, dep.Plain, "metadata", "annotations", SkipAwaitAnnotation))
	require.Equal(t, DefaultResponsesAlias, at(t, dep.Plain, "metadata", "annotations", AnnotationModel))
}

func TestAgentKeyRegistrationJob(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	job := agentJob(t, r)
	require.Equal(t, r.urn, job.Parent, "the Job is a child of the agent")
	require.Equal(t, "cody-litellm-key-registration", job.Name)
	meta := at(t, job.Plain, "metadata").(map[string]any)
	require.Regexp(t, `^cloud-codex-cody-key-[0-9a-f]{10}$`, meta["name"])
	require.Equal(t, "agents", meta["namespace"])
	require.False(t, job.Inputs["metadata"].ContainsSecrets(), "the name carries a digest of the key, not a secret")
	require.False(t, job.Inputs.ContainsSecrets(), "the keys reach the Job only as Secret references")
	require.Equal(t, map[string]any{"pulumi.com/timeoutSeconds": "2100", "pulumi.com/replaceUnready": "true"}, meta["annotations"])

	spec := at(t, job.Plain, "spec").(map[string]any)
	require.EqualValues(t, 1, spec["backoffLimit"])
	require.EqualValues(t, 1800, spec["activeDeadlineSeconds"])
	require.NotContains(t, spec, "ttlSecondsAfterFinished", "the finished Job stays: it is Pulumi state")
	pod := at(t, spec, "template", "spec").(map[string]any)
	require.Equal(t, "Never", pod["restartPolicy"])
	require.Equal(t, false, pod["automountServiceAccountToken"])
	require.Equal(t, false, pod["enableServiceLinks"])
	require.Equal(t, true, at(t, pod, "securityContext", "runAsNonRoot"))
	require.Equal(t, "RuntimeDefault", at(t, pod, "securityContext", "seccompProfile", "type"))

	// The pod labels match the auth pool's NetworkPolicy (DefaultAgentSelector) but not the
	// agent Deployment's selector.
	podLabels := at(t, spec, "template", "metadata", "labels").(map[string]any)
	for k, v := range DefaultAgentSelector() {
		require.Equal(t, v, podLabels[k], "LiteLLM's NetworkPolicy admits the Job's pod by %s", k)
	}
	dep := r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody")
	selector := at(t, dep.Plain, "spec", "selector", "matchLabels").(map[string]any)
	matches := true
	for k, v := range selector {
		matches = matches && podLabels[k] == v
	}
	require.False(t, matches, "the agent Deployment must not select the Job's pod")
	require.Equal(t, podLabels, at(t, job.Plain, "metadata", "labels"))

	build := jobContainer(t, job, "initContainers", "build-registrar")
	require.Equal(t, GoBuildImage, build["image"])
	require.Equal(t, []any{"go", "build", "-trimpath", "-o", "/registrar-bin/litellm-key-registrar", keyregistrar.BuildPackage}, build["command"])
	buildEnv := envOf(t, build)
	require.Equal(t, "off", buildEnv["GOPROXY"].value, "standard library only: nothing is downloaded")
	require.Equal(t, "local", buildEnv["GOTOOLCHAIN"].value)
	require.Equal(t, "/src", mountsOf(t, build)["registrar-src"])
	require.Equal(t, "/registrar-bin", mountsOf(t, build)["registrar-bin"])
	require.Equal(t, "/tmp", mountsOf(t, build)["tmp"], "GOCACHE and GOPATH live in /tmp")

	register := jobContainer(t, job, "containers", "register")
	require.Equal(t, RotatorRunImage, register["image"])
	require.Equal(t, []any{
		"/registrar-bin/litellm-key-registrar", "--url", testLiteLLMURL, "--alias", "cloud-codex-cody",
		"--model", DefaultResponsesAlias,
		"--metadata", "agent=cody", "--metadata", "managed-by=cloud-codex", "--metadata", "namespace=agents",
	}, register["command"])
	env := envOf(t, register)
	require.Equal(t, map[string]envSource{
		keyregistrar.EnvMasterKey: {secret: testMasterKeySecret, key: contract.MasterKeyEnv},
		keyregistrar.EnvKey:       {secret: "cloud-codex-cody-litellm-key", key: "key"},
	}, env, "both keys come from Secrets, nothing else")
	require.Equal(t, map[string]string{"registrar-bin": "/registrar-bin"}, mountsOf(t, register))

	for _, c := range []map[string]any{build, register} {
		sc := at(t, c, "securityContext").(map[string]any)
		require.Equal(t, true, sc["runAsNonRoot"])
		require.EqualValues(t, 65532, sc["runAsUser"])
		require.Equal(t, false, sc["allowPrivilegeEscalation"])
		require.Equal(t, true, sc["readOnlyRootFilesystem"])
		require.Equal(t, []any{"ALL"}, at(t, sc, "capabilities", "drop"))
		require.Equal(t, "RuntimeDefault", at(t, sc, "seccompProfile", "type"))
		require.Contains(t, at(t, c, "resources", "limits"), "memory")
		require.Contains(t, at(t, c, "resources", "requests"), "cpu")
	}

	volumes := map[string]map[string]any{}
	for _, v := range at(t, pod, "volumes").([]any) {
		volumes[v.(map[string]any)["name"].(string)] = v.(map[string]any)
	}
	require.Len(t, volumes, 3)
	require.Equal(t, "512Mi", at(t, volumes["tmp"], "emptyDir", "sizeLimit"), "go build's caches under a read-only root")
	require.Equal(t, testRegistrarSource, at(t, volumes["registrar-src"], "configMap", "name"))
	var items []any
	for _, f := range keyregistrar.SourceFiles() {
		items = append(items, map[string]any{"key": f.Key, "path": f.Path})
	}
	require.Equal(t, items, at(t, volumes["registrar-src"], "configMap", "items"))
	require.Contains(t, volumes["registrar-bin"], "emptyDir")
}

func TestAgentKeyJobOnAnAPIOnlyCluster(t *testing.T) {
	args := testAgentArgs()
	args.SkipAwait = true
	job := agentJob(t, mustRunAgent(t, args))
	require.Equal(t, map[string]any{SkipAwaitAnnotation: "true"}, at(t, job.Plain, "metadata", "annotations"),
		"no kubelet runs it: skipAwait, and no replaceUnready (nothing ever fails there)")
	secret := mustRunAgent(t, args).mocks.k8s(t, agentSecretType, "cloud-codex-cody-litellm-key")
	require.Equal(t, "true", at(t, secret.Plain, "metadata", "annotations", SkipAwaitAnnotation))
}

// The Job's name changes with what it registers (allowlist, URL, master key Secret) and
// with nothing else, so only a real change runs the registration again.
func TestAgentKeyJobNameFollowsItsSpec(t *testing.T) {
	base := jobName(t, testAgentArgs())
	require.Equal(t, base, jobName(t, testAgentArgs()), "stable")

	same := map[string]func(*CloudCodexAgentArgs){
		"parked":          func(a *CloudCodexAgentArgs) { zero := 0; a.Replicas = &zero },
		"agent image":     func(a *CloudCodexAgentArgs) { a.Image = "node:22.1-bookworm-slim" },
		"runner packages": func(a *CloudCodexAgentArgs) { a.Runner.Packages = []string{"left-pad@1.3.0"} },
		"resources":       func(a *CloudCodexAgentArgs) { a.Resources.Limits.Memory = "4Gi" },
		"env":             func(a *CloudCodexAgentArgs) { a.Env = map[string]string{"LOG_LEVEL": "debug"} },
		"codex version":   func(a *CloudCodexAgentArgs) { a.Codex.Version = "0.170.0" },
		"skip await":      func(a *CloudCodexAgentArgs) { a.SkipAwait = true },
		"explicit default allowlist": func(a *CloudCodexAgentArgs) {
			a.LiteLLM.ModelAllowlist = []string{DefaultResponsesAlias}
		},
		"explicit admin url": func(a *CloudCodexAgentArgs) { a.LiteLLM.AdminURL = pulumi.String(testLiteLLMURL) },
	}
	for name, edit := range same {
		args := testAgentArgs()
		edit(&args)
		require.Equal(t, base, jobName(t, args), "%s must not re-run the registration", name)
	}

	changed := map[string]func(*CloudCodexAgentArgs){
		"allowlist grows": func(a *CloudCodexAgentArgs) {
			a.LiteLLM.ModelAllowlist = []string{DefaultResponsesAlias, "codex-cli/gpt-5.3"}
		},
		"allowlist order": func(a *CloudCodexAgentArgs) {
			a.LiteLLM.ModelAllowlist = []string{"codex-cli/gpt-5.3", DefaultResponsesAlias}
		},
		"admin url": func(a *CloudCodexAgentArgs) {
			a.LiteLLM.AdminURL = pulumi.String("http://litellm.agents.svc.cluster.local:4000")
		},
		"master key secret": func(a *CloudCodexAgentArgs) { a.LiteLLM.MasterKeySecret.Name = pulumi.String("other-master-key") },
		"namespace":         func(a *CloudCodexAgentArgs) { a.Namespace = "agents-2" },
	}
	seen := map[string]string{base: "base"}
	for name, edit := range changed {
		args := testAgentArgs()
		edit(&args)
		got := jobName(t, args)
		require.NotContains(t, seen, got, "%s must re-run the registration (same name as %s)", name, seen[got])
		seen[got] = name
	}
}

// The key value (its digest) is part of the hash: a rotated key runs the registration.
func TestAgentKeyJobSpecHash(t *testing.T) {
	spec := agentKeyJobSpec{
		Version: agentKeyJobSpecVersion, KeySHA256: sha256Hex("sk-one"), Alias: "cloud-codex-cody",
		Models: []string{DefaultResponsesAlias}, URL: testLiteLLMURL,
	}
	h := spec.hash()
	require.Regexp(t, `^[0-9a-f]{10}$`, h)
	rotated := spec
	rotated.KeySHA256 = sha256Hex("sk-two")
	require.NotEqual(t, h, rotated.hash())
	other := spec
	other.Models = append(slices.Clone(spec.Models), "x")
	require.NotEqual(t, h, other.hash())
	require.Equal(t, h, spec.hash())

	name := AgentKeyJobName(strings.Repeat("a", MaxAgentNameLen), h)
	require.LessOrEqual(t, len(name), 63, "a Job name is a label value")
}

func TestAgentRejectsABadAdminURL(t *testing.T) {
	args := testAgentArgs()
	args.LiteLLM.AdminURL = pulumi.String("litellm:4000")
	_, err := runAgent(t, args)
	require.Error(t, err)
	require.Contains(t, err.Error(), "litellm.adminUrl")
}

func TestOperatorManagedKeyNeedsNoPoolWiring(t *testing.T) {
	args := operatorManaged(testAgentArgs())
	args.LiteLLM.MasterKeySecret = SecretKeyInput{}
	args.LiteLLM.RegistrarSource = nil
	args.LiteLLM.KeySecret = SecretRef{Name: "hand-made-key", Key: "value"}
	r := mustRunAgent(t, args)
	for _, res := range r.mocks.resources() {
		require.NotContains(t, []string{agentRandomPasswordType, agentSecretType, agentJobType}, res.Type)
	}
	dep := r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody")
	env := envOf(t, containerNamed(t, dep, "containers", "agent"))
	require.Equal(t, envSource{secret: "hand-made-key", key: "value", optional: true}, env["LITELLM_API_KEY"])
	require.Equal(t, "hand-made-key", r.outputs["keySecretName"])
	require.Contains(t, r.outputs["secretCommands"].([]string)[1], "kubectl create secret generic hand-made-key -n agents --from-file=value=/dev/stdin")
}

func TestAllProxyModelsAllowsTheAgentsModel(t *testing.T) {
	args := testAgentArgs()
	args.LiteLLM.ModelAllowlist = []string{"all-proxy-models"}
	mustRunAgent(t, args)
}

func TestLiteLLMKeyRegistrarShipsTheSourceOnce(t *testing.T) {
	m := &mockMonitor{}
	var name string
	var urn pulumi.URN
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		reg, err := NewLiteLLMKeyRegistrar(ctx, "key-registrar", LiteLLMKeyRegistrarArgs{Namespace: "agents"})
		if err != nil {
			return err
		}
		reg.SourceConfigMapName.ApplyT(func(n string) string { name = n; return n })
		reg.URN().ApplyT(func(u pulumi.URN) pulumi.URN { urn = u; return u })
		return nil
	}, pulumi.WithMocks("cloud-codex", "dev", m))
	require.NoError(t, err)
	require.Equal(t, testRegistrarSource, name)
	cm := m.k8s(t, "kubernetes:core/v1:ConfigMap", testRegistrarSource)
	require.Equal(t, string(urn), cm.Parent)
	require.Equal(t, "agents", at(t, cm.Plain, "metadata", "namespace"))
	data := at(t, cm.Plain, "data").(map[string]any)
	require.Len(t, data, len(keyregistrar.SourceFiles()))
	for _, f := range keyregistrar.SourceFiles() {
		require.Equal(t, f.Content, data[f.Key], f.Path)
	}

	_, err = runKeyRegistrar(LiteLLMKeyRegistrarArgs{Namespace: "Agents"})
	require.ErrorContains(t, err, "namespace: invalid value")
}

func runKeyRegistrar(args LiteLLMKeyRegistrarArgs) (*mockMonitor, error) {
	return runUnderMocks(func(ctx *pulumi.Context) error {
		_, err := NewLiteLLMKeyRegistrar(ctx, "key-registrar", args)
		return err
	})
}
