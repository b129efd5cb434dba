package components

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
)

const testLiteLLMURL = "http://litellm.agents.svc.cluster.local:4000/v1"

// Wiring from the auth pool and the key registrar, as main.go passes it.
const (
	testMasterKeySecret = "litellm-master-key"
	testRegistrarSource = "cloud-codex-key-registrar-src"
)

func testAgentArgs() CloudCodexAgentArgs {
	return CloudCodexAgentArgs{
		Name:      "cody",
		Namespace: "agents",
		LiteLLM: AgentLiteLLMArgs{
			BaseURL: pulumi.String(testLiteLLMURL), DefaultModel: DefaultResponsesAlias,
			MasterKeySecret: SecretKeyInput{Name: pulumi.String(testMasterKeySecret), Key: contract.MasterKeyEnv},
			RegistrarSource: pulumi.String(testRegistrarSource),
		},
		Registry: AgentRegistryArgs{APIURL: "https://api.example.com", PodID: "pod-1"},
	}
}

// operatorManaged turns args into an agent whose LiteLLM key the operator manages.
func operatorManaged(args CloudCodexAgentArgs) CloudCodexAgentArgs {
	managed := false
	args.LiteLLM.ManageKey = &managed
	return args
}

type agentRun struct {
	mocks   *mockMonitor
	urn     string
	outputs map[string]any
}

func runAgent(t *testing.T, args CloudCodexAgentArgs) (*agentRun, error) {
	t.Helper()
	r := &agentRun{mocks: &mockMonitor{}, outputs: map[string]any{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		agent, err := NewCloudCodexAgent(ctx, args.Name, args)
		if err != nil {
			return err
		}
		out, err := awaitOutputs(ctx, map[string]pulumi.Output{
			"urn": agent.URN(), "deploymentName": agent.DeploymentName, "pvcName": agent.PVCName,
			"configMapName": agent.ConfigMapName, "model": agent.Model, "requiredSecrets": agent.RequiredSecrets,
			"secretCommands": agent.SecretCommands, "registryInstall": agent.RegistryInstall, "modelAllowlist": agent.ModelAllowlist,
			"keySecretName": agent.KeySecretName, "keyManagedBy": agent.KeyManagedBy, "keyRegistrationJob": agent.KeyRegistrationJob,
		})
		if err != nil {
			return err
		}
		for name, res := range out {
			r.outputs[name] = res.Value
		}
		r.urn = string(r.outputs["urn"].(pulumi.URN))
		return nil
	}, pulumi.WithMocks("cloud-codex", "dev", r.mocks))
	return r, err
}

func mustRunAgent(t *testing.T, args CloudCodexAgentArgs) *agentRun {
	t.Helper()
	r, err := runAgent(t, args)
	require.NoError(t, err)
	return r
}

// Child names used to be the Kubernetes names ("cloud-codex-<agent>…"); each renamed child
// carries an alias to its old name, or an existing stack would replace it (for the state
// claim: delete the agent's /state).
func TestAgentChildrenKeepTheirIdentityAfterTheRename(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	was := map[string]string{}
	for _, res := range r.mocks.resources() {
		if res.Type == contract.CloudCodexAgentType {
			continue
		}
		require.Len(t, res.RenamedFrom, 1, "%s %s", res.Type, res.Name)
		require.Empty(t, res.RenamedFrom[0].Parent, "same parent")
		was[res.Type+" "+res.Name] = res.RenamedFrom[0].Name
	}
	require.Equal(t, map[string]string{
		"kubernetes:core/v1:PersistentVolumeClaim cody-state":         "cloud-codex-cody",
		"kubernetes:core/v1:ConfigMap cody-config":                    "cloud-codex-cody-config",
		"kubernetes:core/v1:ConfigMap cody-scripts":                   "cloud-codex-cody-scripts",
		"kubernetes:apps/v1:Deployment cody-deployment":               "cloud-codex-cody",
		"random:index/randomPassword:RandomPassword cody-litellm-key": "cloud-codex-cody-litellm-key",
		"kubernetes:core/v1:Secret cody-litellm-key":                  "cloud-codex-cody-litellm-key",
		"kubernetes:batch/v1:Job cody-litellm-key-registration":       "cloud-codex-cody-litellm-key-registration",
	}, was)
}

func TestAgentRegistersItsObjectsUnderTheComponent(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	var kinds []string
	jobName := regexp.MustCompile(`^cloud-codex-cody-key-[0-9a-f]{10}$`)
	for _, res := range r.mocks.resources() {
		if res.Type == contract.CloudCodexAgentType {
			continue
		}
		require.Equal(t, r.urn, res.Parent, "%s %s must be a child of the agent", res.Type, res.Name)
		if res.Type == agentRandomPasswordType {
			kinds = append(kinds, res.Type+" "+res.Name)
			continue
		}
		// Pulumi names come from the component's name, Kubernetes names from the args.
		require.True(t, strings.HasPrefix(res.Name, "cody-"), "%s %s: child names start with the component's name", res.Type, res.Name)
		name := at(t, res.Plain, "metadata", "name").(string)
		if res.Type == agentJobType {
			require.Regexp(t, jobName, name)
			name = "cloud-codex-cody-key-<hash>"
		}
		kinds = append(kinds, res.Type+" "+name)
		labels := at(t, res.Plain, "metadata", "labels").(map[string]any)
		for _, l := range []string{"name", "instance", "component", "part-of", "managed-by"} {
			require.Contains(t, labels, "app.kubernetes.io/"+l, "%s %s", res.Type, res.Name)
		}
		require.Equal(t, "agents", at(t, res.Plain, "metadata", "namespace"))
	}
	require.ElementsMatch(t, []string{
		"kubernetes:core/v1:PersistentVolumeClaim cloud-codex-cody",
		"kubernetes:core/v1:ConfigMap cloud-codex-cody-config",
		"kubernetes:core/v1:ConfigMap cloud-codex-cody-scripts",
		"kubernetes:apps/v1:Deployment cloud-codex-cody",
		"random:index/randomPassword:RandomPassword cody-litellm-key",
		"kubernetes:core/v1:Secret cloud-codex-cody-litellm-key",
		"kubernetes:batch/v1:Job cloud-codex-cody-key-<hash>",
	}, kinds)

	// An operator-managed key adds nothing: no generator, no Secret, no Job.
	r = mustRunAgent(t, operatorManaged(testAgentArgs()))
	kinds = nil
	for _, res := range r.mocks.resources() {
		if res.Type != contract.CloudCodexAgentType {
			require.Equal(t, r.urn, res.Parent)
			kinds = append(kinds, res.Type+" "+at(t, res.Plain, "metadata", "name").(string))
		}
	}
	require.ElementsMatch(t, []string{
		"kubernetes:core/v1:PersistentVolumeClaim cloud-codex-cody",
		"kubernetes:core/v1:ConfigMap cloud-codex-cody-config",
		"kubernetes:core/v1:ConfigMap cloud-codex-cody-scripts",
		"kubernetes:apps/v1:Deployment cloud-codex-cody",
	}, kinds)
}

func TestAgentDeploymentIsASingleWriterWithRecreate(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	dep := r.mocks.k8s(t, "kubernetes:apps/v1:Deployment", "cloud-codex-cody")
	require.Equal(t, "Recreate", at(t, dep.Plain, "spec", "strategy", "type"))
	require.EqualValues(t, 1, at(t, dep.Plain, "spec", "replicas"))
	selector := at(t, dep.Plain, "spec", "selector", "matchLabels").(map[string]any)
	podLabels := at(t, dep.Plain, "spec", "template", "metadata", "labels").(map[string]any)
	for k, v := range selector {
		require.Equal(t, v, podLabels[k], "selector label %s must match the pod template", k)
	}
	require.Equal(t, "agent", podLabels["app.kubernetes.io/component"])

	agent := containerNamed(t, dep, "containers", "agent")
	env := envOf(t, agent)
	require.Equal(t, "codex", env["COMMONLY_AGENT_NAME"].value)
	require.Equal(t, "cody", env["COMMONLY_INSTANCE_ID"].value)
	require.Equal(t, "/state", env["HOME"].value)
	require.Equal(t, "/state/.codex", env["CODEX_HOME"].value)
	require.Equal(t, envSource{secret: "cloud-codex-cody-litellm-key", key: "key", optional: true}, env["LITELLM_API_KEY"],
		"the LiteLLM key is optional: the pod boots and warns")
	require.Equal(t, envSource{secret: "cloud-codex-cody-token", key: "token", optional: false}, env["COMMONLY_RUNTIME_TOKEN"],
		"the runtime token is required")
	for name := range env {
		require.NotContains(t, []string{"OPENAI_API_KEY", "CODEX_API_KEY"}, name)
	}

	mounts := mountsOf(t, agent)
	require.Equal(t, "/state", mounts["state"])
	require.Equal(t, "/etc/cloud-codex/config", mounts["config"], "config.toml is copied from here, never mounted into CODEX_HOME")
	claim := at(t, dep.Plain, "spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName")
	require.Equal(t, "cloud-codex-cody", claim)

	for _, c := range []map[string]any{agent, containerNamed(t, dep, "initContainers", "install-tools")} {
		sc := at(t, c, "securityContext").(map[string]any)
		require.Equal(t, true, sc["runAsNonRoot"])
		require.Equal(t, false, sc["allowPrivilegeEscalation"])
		require.Equal(t, []any{"ALL"}, at(t, sc, "capabilities", "drop"))
		require.Equal(t, "RuntimeDefault", at(t, sc, "seccompProfile", "type"))
		require.Contains(t, at(t, c, "resources", "limits"), "memory")
	}
	require.Equal(t, []any{"/bin/sh", "/etc/cloud-codex/scripts/agent-boot.sh", "/bin/sh", "/etc/cloud-codex/scripts/agent-idle-runner.sh"},
		at(t, agent, "command"))
}

func TestAgentStatePVCIsRetainedAndNeverReplaced(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	pvc := r.mocks.k8s(t, "kubernetes:core/v1:PersistentVolumeClaim", "cloud-codex-cody")
	require.True(t, pvc.Retain, "the state PVC survives destroy")
	require.Subset(t, pvc.IgnoreChanges, []string{"spec.storageClassName", "spec.accessModes"},
		"immutable fields are ignored so a change never replaces (deletes) the claim")
	require.Equal(t, []any{"ReadWriteOnce"}, at(t, pvc.Plain, "spec", "accessModes"))
	require.Equal(t, "1Gi", at(t, pvc.Plain, "spec", "resources", "requests", "storage"))
}

func TestParkedAgentKeepsItsPVC(t *testing.T) {
	args := testAgentArgs()
	zero := 0
	args.Replicas = &zero
	r := mustRunAgent(t, args)
	dep := r.mocks.k8s(t, "kubernetes:apps/v1:Deployment", "cloud-codex-cody")
	require.EqualValues(t, 0, at(t, dep.Plain, "spec", "replicas"))
	r.mocks.k8s(t, "kubernetes:core/v1:PersistentVolumeClaim", "cloud-codex-cody")
}

func TestAgentConfigTOMLRoutesEverythingThroughLiteLLM(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	cm := r.mocks.k8s(t, "kubernetes:core/v1:ConfigMap", "cloud-codex-cody-config")
	rendered := at(t, cm.Plain, "data", codexconfig.FileName).(string)
	parsed, err := codexconfig.Parse(rendered)
	require.NoError(t, err)
	require.Equal(t, codexconfig.ForLiteLLM(DefaultResponsesAlias, testLiteLLMURL, nil), parsed, "round trip through go-toml")
	provider, ok := parsed.ActiveProvider()
	require.True(t, ok)
	require.Equal(t, "responses", provider.WireAPI)
	require.Equal(t, "LITELLM_API_KEY", provider.EnvKey)
	require.False(t, provider.RequiresOpenAIAuth)
	require.NotContains(t, rendered, "sk-")
}

func TestAgentMCPSecretsAreForwardedByNameNeverWritten(t *testing.T) {
	args := testAgentArgs()
	args.Codex.MCPServers = map[string]MCPServerArgs{"github": {
		Command: "github-mcp", Env: map[string]string{"LOG_LEVEL": "info"},
		SecretEnv: map[string]SecretRef{"GITHUB_TOKEN": {Name: "gh-pat", Key: "token"}},
	}}
	r := mustRunAgent(t, args)
	cm := r.mocks.k8s(t, "kubernetes:core/v1:ConfigMap", "cloud-codex-cody-config")
	parsed, err := codexconfig.Parse(at(t, cm.Plain, "data", codexconfig.FileName).(string))
	require.NoError(t, err)
	require.Equal(t, codexconfig.MCPServer{Command: "github-mcp", Env: map[string]string{"LOG_LEVEL": "info"}, EnvVars: []string{"GITHUB_TOKEN"}},
		parsed.MCPServers["github"])
	env := envOf(t, containerNamed(t, r.mocks.k8s(t, "kubernetes:apps/v1:Deployment", "cloud-codex-cody"), "containers", "agent"))
	require.Equal(t, envSource{secret: "gh-pat", key: "token"}, env["GITHUB_TOKEN"])
}

func TestAgentOutputsTellTheOperatorWhatToCreate(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	require.Equal(t, "cloud-codex-cody", r.outputs["deploymentName"])
	require.Equal(t, "cloud-codex-cody", r.outputs["pvcName"])
	require.Equal(t, "cloud-codex-cody-config", r.outputs["configMapName"])
	require.Equal(t, DefaultResponsesAlias, r.outputs["model"])
	require.Equal(t, []string{DefaultResponsesAlias}, r.outputs["modelAllowlist"])
	// The LiteLLM key is Pulumi-managed by default: only the runtime token is left to create.
	require.Equal(t, []string{"cloud-codex-cody-token"}, r.outputs["requiredSecrets"])
	cmds := r.outputs["secretCommands"].([]string)
	require.Len(t, cmds, 1)
	require.Contains(t, cmds[0], "kubectl create secret generic cloud-codex-cody-token -n agents --from-file=token=/dev/stdin")
	require.NotContains(t, cmds[0], "--from-literal", "a literal leaves the token in the shell history")
	require.Equal(t, "cloud-codex-cody-litellm-key", r.outputs["keySecretName"])
	require.Equal(t, KeyManagedByPulumi, r.outputs["keyManagedBy"])
	require.Regexp(t, `^cloud-codex-cody-key-[0-9a-f]{10}$`, r.outputs["keyRegistrationJob"])

	// Operator-managed: the outputs keep the command that creates the key Secret.
	r = mustRunAgent(t, operatorManaged(testAgentArgs()))
	require.Equal(t, []string{"cloud-codex-cody-token", "cloud-codex-cody-litellm-key"}, r.outputs["requiredSecrets"])
	cmds = r.outputs["secretCommands"].([]string)
	require.Len(t, cmds, 2)
	require.Contains(t, cmds[0], "kubectl create secret generic cloud-codex-cody-token -n agents --from-file=token=/dev/stdin")
	require.Contains(t, cmds[1], "kubectl create secret generic cloud-codex-cody-litellm-key -n agents --from-file=key=/dev/stdin")
	require.Contains(t, cmds[1], DefaultResponsesAlias, "the command says what the key must allow")
	require.Equal(t, "cloud-codex-cody-litellm-key", r.outputs["keySecretName"])
	require.Equal(t, KeyManagedByOperator, r.outputs["keyManagedBy"])
	require.Equal(t, "", r.outputs["keyRegistrationJob"])
	require.Equal(t, "install agent codex as instance cody in pod pod-1 on https://api.example.com; put the runtime token it issues in Secret cloud-codex-cody-token",
		r.outputs["registryInstall"])
}

func TestAgentRejectsBadInputBeforeRegisteringAnything(t *testing.T) {
	two, minus := 2, -1
	cases := []struct {
		name  string
		edit  func(*CloudCodexAgentArgs)
		field string
	}{
		{"uppercase name", func(a *CloudCodexAgentArgs) { a.Name = "Cody" }, "name"},
		{"long name", func(a *CloudCodexAgentArgs) { a.Name = strings.Repeat("a", 31) }, "name"},
		{"empty name", func(a *CloudCodexAgentArgs) { a.Name = "" }, "name"},
		{"bad namespace", func(a *CloudCodexAgentArgs) { a.Namespace = "Agents_" }, "namespace"},
		{"two replicas", func(a *CloudCodexAgentArgs) { a.Replicas = &two }, "replicas"},
		{"negative replicas", func(a *CloudCodexAgentArgs) { a.Replicas = &minus }, "replicas"},
		{"bad storage", func(a *CloudCodexAgentArgs) { a.Storage.Size = "2GB" }, "storage.size"},
		{"bad memory limit", func(a *CloudCodexAgentArgs) { a.Resources.Limits.Memory = "lots" }, "resources.limits.memory"},
		{"bad api url", func(a *CloudCodexAgentArgs) { a.Registry.APIURL = "api.example.com" }, "registry.apiUrl"},
		{"missing api url", func(a *CloudCodexAgentArgs) { a.Registry.APIURL = "" }, "registry.apiUrl"},
		{"missing pod id", func(a *CloudCodexAgentArgs) { a.Registry.PodID = "" }, "registry.podId"},
		{"no model at all", func(a *CloudCodexAgentArgs) { a.LiteLLM.DefaultModel = "" }, "codex.model"},
		{"unpinned runner package", func(a *CloudCodexAgentArgs) { a.Runner.Packages = []string{"left-pad@latest"} }, "runner.packages[0]"},
		{"codex as a runner package", func(a *CloudCodexAgentArgs) { a.Runner.Packages = []string{"@openai/codex@0.100.0"} }, "runner.packages[0]"},
		{"a runner package twice", func(a *CloudCodexAgentArgs) { a.Runner.Packages = []string{"@scope/x@1.0.0", "@scope/x@1.0.1"} }, "runner.packages[1]"},
		{"empty runner command", func(a *CloudCodexAgentArgs) { a.Runner.Command = []string{""} }, "runner.command[0]"},
		{"credential in env", func(a *CloudCodexAgentArgs) { a.Env = map[string]string{"OPENAI_API_KEY": "x"} }, "env.OPENAI_API_KEY"},
		{"identity override", func(a *CloudCodexAgentArgs) { a.Env = map[string]string{"COMMONLY_AGENT_NAME": "cloud-codex"} }, "env.COMMONLY_AGENT_NAME"},
		{"mcp without command", func(a *CloudCodexAgentArgs) { a.Codex.MCPServers = map[string]MCPServerArgs{"x": {}} }, "codex.mcpServers.x.command"},
		{"no base url", func(a *CloudCodexAgentArgs) { a.LiteLLM.BaseURL = nil }, "litellm.baseUrl"},
		{"model not in the allowlist", func(a *CloudCodexAgentArgs) { a.LiteLLM.ModelAllowlist = []string{"codex-cli/gpt-5.3"} }, "litellm.modelAllowlist"},
		{"empty allowlist entry", func(a *CloudCodexAgentArgs) { a.LiteLLM.ModelAllowlist = []string{DefaultResponsesAlias, ""} }, "litellm.modelAllowlist"},
		{"managed key in a custom Secret", func(a *CloudCodexAgentArgs) { a.LiteLLM.KeySecret = SecretRef{Name: "hand-made", Key: "key"} }, "litellm.keySecret"},
		{"managed key under a custom Secret key", func(a *CloudCodexAgentArgs) { a.LiteLLM.KeySecret.Key = "token" }, "litellm.keySecret"},
		{"managed key without the master key", func(a *CloudCodexAgentArgs) { a.LiteLLM.MasterKeySecret = SecretKeyInput{} }, "litellm.masterKeySecret"},
		{"managed key without the master key's key", func(a *CloudCodexAgentArgs) { a.LiteLLM.MasterKeySecret.Key = "" }, "litellm.masterKeySecret"},
		{"managed key without the registrar source", func(a *CloudCodexAgentArgs) { a.LiteLLM.RegistrarSource = nil }, "litellm.registrarSource"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := testAgentArgs()
			tc.edit(&args)
			r, err := runAgent(t, args)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.field+": invalid value")
			require.Empty(t, r.mocks.resources(), "nothing may be registered before validation passes")
		})
	}
}

type envSource struct {
	value, secret, key string
	optional           bool
}

func envOf(t *testing.T, container map[string]any) map[string]envSource {
	t.Helper()
	out := map[string]envSource{}
	for _, e := range at(t, container, "env").([]any) {
		m := e.(map[string]any)
		src := envSource{}
		if v, ok := m["value"].(string); ok {
			src.value = v
		}
		if vf, ok := m["valueFrom"].(map[string]any); ok {
			ref := vf["secretKeyRef"].(map[string]any)
			src.secret, src.key = ref["name"].(string), ref["key"].(string)
			src.optional, _ = ref["optional"].(bool)
		}
		out[m["name"].(string)] = src
	}
	return out
}

func mountsOf(t *testing.T, container map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range at(t, container, "volumeMounts").([]any) {
		mm := m.(map[string]any)
		out[mm["name"].(string)] = mm["mountPath"].(string)
	}
	return out
}

func containerNamed(t *testing.T, workload recordedResource, list, name string) map[string]any {
	t.Helper()
	for _, c := range at(t, workload.Plain, "spec", "template", "spec", list).([]any) {
		if c.(map[string]any)["name"] == name {
			return c.(map[string]any)
		}
	}
	require.Failf(t, "missing container", "%s %q", list, name)
	return nil
}
