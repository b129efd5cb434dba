package tests

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/require"

	"cloud-codex/codexconfig"
	"cloud-codex/keyregistrar"
	"cloud-codex/litellmconfig"
)

const e2eNamespace = "cc-e2e"

func e2eConfig(agents string) map[string]string {
	cluster, _ := json.Marshal(map[string]any{"kubeconfig": kubeconfig, "skipAwait": true})
	return map[string]string{
		"cloud-codex:namespace": e2eNamespace,
		"cloud-codex:cluster":   string(cluster),
		"cloud-codex:litellm":   `{"accounts": {"inRotation": [1, 2], "reserved": [3]}, "database": {"inCluster": {}}}`,
		"cloud-codex:agents":    agents,
	}
}

const twoAgents = `[
  {"name": "cody", "registry": {"apiUrl": "https://api.commonly.example", "podId": "pod-e2e"}},
  {"name": "ada", "replicas": 0, "registry": {"apiUrl": "https://api.commonly.example", "podId": "pod-e2e"}}
]`

// The whole life of a stack on a real API server: preview with the policy pack, up,
// what the server holds, an idempotent second up, refresh without drift, a change the API
// server refuses, and destroy keeping exactly what is retained on purpose.
func TestStackLifecycleOnTheLocalAPIServer(t *testing.T) {
	deleteNamespace(t, e2eNamespace)
	t.Cleanup(func() { deleteNamespace(t, e2eNamespace) })
	stack := newStack(t, rootDir, "e2e-lifecycle", e2eConfig(twoAgents))
	ctx, cancel := timeout(20 * time.Minute)
	defer cancel()

	t.Run("preview runs the policy pack and passes", func(t *testing.T) {
		out := &logWriter{t: t}
		res, err := stack.Preview(ctx, optpreview.PolicyPacks(policyPack), optpreview.ProgressStreams(out))
		if err != nil {
			out.dump()
		}
		require.NoError(t, err)
		require.Contains(t, out.String(), "cloud-codex-policy@v0.3.0", "the pack's name and version appear in the output")
		require.NotContains(t, out.String(), "mandatory")
		require.NotContains(t, strings.ToLower(out.String()), "warning: using pulumi-resource-", "no ambient plugins")
		require.Positive(t, res.ChangeSummary["create"])
	})

	var outputs auto.OutputMap
	t.Run("up deploys", func(t *testing.T) {
		out := &logWriter{t: t}
		res, err := stack.Up(ctx, optup.PolicyPacks(policyPack), optup.ProgressStreams(out))
		if err != nil {
			out.dump()
		}
		require.NoError(t, err)
		require.Equal(t, "http://litellm."+e2eNamespace+".svc.cluster.local:4000/v1", res.Outputs["litellmUrl"].Value)
		require.Contains(t, res.Outputs["nextSteps"].Value, "auth-login 1")
		outputs = res.Outputs
	})

	t.Run("the API server holds what we declared", func(t *testing.T) { assertDeclaredObjects(t) })
	t.Run("each agent's LiteLLM key is generated and registered by a Job", func(t *testing.T) { assertKeyRegistration(t, outputs) })

	t.Run("a second up changes nothing, and runs the program without relinking it", func(t *testing.T) {
		before := programBinaryInode(t, rootDir)
		res, err := stack.Up(ctx, optup.PolicyPacks(policyPack), optup.ExpectNoChanges())
		require.NoError(t, err)
		for op, n := range *res.Summary.ResourceChanges {
			require.Equal(t, "same", op, "%d resources would %s", n, op)
		}
		after := programBinaryInode(t, rootDir)
		require.Equal(t, before, after, "the unchanged program was linked again")
	})

	t.Run("refresh finds no drift", func(t *testing.T) {
		out := &logWriter{t: t}
		_, err := stack.Refresh(ctx, optrefresh.ExpectNoChanges(), optrefresh.ProgressStreams(out))
		if err != nil {
			out.dump()
		}
		require.NoError(t, err)
	})

	t.Run("an object the API server refuses fails up with its message, and the next good up recovers", func(t *testing.T) {
		// A required node affinity without terms passes our validation and the policy pack
		// (placement.affinity is Kubernetes' own type, passed through); the API server is
		// the judge and its message must reach the user.
		bad := strings.Replace(twoAgents, `"name": "cody",`,
			`"name": "cody", "placement": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}},`, 1)
		require.NoError(t, stack.SetAllConfig(ctx, configMap(e2eConfig(bad))))
		out := &logWriter{t: t}
		_, err := stack.Up(ctx, optup.PolicyPacks(policyPack), optup.ProgressStreams(out))
		require.Error(t, err)
		require.Contains(t, out.String()+err.Error(), "must have at least one node selector term")

		require.NoError(t, stack.SetAllConfig(ctx, configMap(e2eConfig(twoAgents))))
		_, err = stack.Up(ctx, optup.PolicyPacks(policyPack))
		require.NoError(t, err)
		dep := getJSON(t, e2eNamespace, "deployment", "cloud-codex-cody")
		require.Equal(t, "2Gi", dig(dep, "spec", "template", "spec", "containers", 0, "resources", "limits", "memory"))
	})

	t.Run("destroy removes everything but what is retained on purpose", func(t *testing.T) {
		_, err := stack.Destroy(ctx, optdestroy.ProgressStreams(&logWriter{t: t}))
		require.NoError(t, err)
		for _, gone := range [][2]string{
			{"deployment", "cloud-codex-cody"}, {"deployment", "litellm"}, {"configmap", "cloud-codex-cody-config"},
			{"configmap", "litellm-config"}, {"service", "litellm"}, {"secret", "litellm-master-key"},
			{"networkpolicy", "litellm"}, {"statefulset", "litellm-postgres"},
		} {
			// With a node, a workload finishes deleting after its pods have stopped.
			eventually(t, gone[0]+"/"+gone[1]+" deleted", 3*time.Minute, func() (bool, string) {
				return !exists(t, e2eNamespace, gone[0], gone[1]), "still there"
			})
		}
		for _, kept := range [][2]string{
			{"pvc", "cloud-codex-cody"}, {"pvc", "cloud-codex-ada"}, {"pvc", "litellm-chatgpt-auth"},
			{"secret", "litellm-salt-key"}, {"namespace", e2eNamespace},
		} {
			obj := getJSON(t, e2eNamespace, kept[0], kept[1])
			require.Equal(t, kept[1], dig(obj, "metadata", "name"), "%s/%s is retained and readable", kept[0], kept[1])
		}
	})
}

func assertDeclaredObjects(t *testing.T) {
	ns := getJSON(t, "", "namespace", e2eNamespace)
	labels := dig(ns, "metadata", "labels").(map[string]any)
	require.Equal(t, "restricted", labels["pod-security.kubernetes.io/enforce"])
	require.Equal(t, "restricted", labels["pod-security.kubernetes.io/warn"])
	require.Equal(t, "restricted", labels["pod-security.kubernetes.io/audit"])

	for _, agent := range []struct {
		name     string
		replicas float64
	}{{"cody", 1}, {"ada", 0}} {
		dep := getJSON(t, e2eNamespace, "deployment", "cloud-codex-"+agent.name)
		require.Equal(t, "Recreate", dig(dep, "spec", "strategy", "type"))
		require.Equal(t, agent.replicas, dig(dep, "spec", "replicas"))
		require.Equal(t, "agent", dig(dep, "metadata", "labels", "app.kubernetes.io/component"))
		pod := dig(dep, "spec", "template", "spec").(map[string]any)
		require.Equal(t, "cloud-codex-"+agent.name, dig(pod, "volumes", 0, "persistentVolumeClaim", "claimName"))
		container := dig(pod, "containers", 0).(map[string]any)
		mounts := map[string]string{}
		for _, m := range container["volumeMounts"].([]any) {
			mounts[m.(map[string]any)["name"].(string)] = m.(map[string]any)["mountPath"].(string)
		}
		require.Equal(t, "/state", mounts["state"])
		env := map[string]map[string]any{}
		for _, e := range container["env"].([]any) {
			env[e.(map[string]any)["name"].(string)] = e.(map[string]any)
		}
		require.Equal(t, "codex", env["COMMONLY_AGENT_NAME"]["value"])
		require.Equal(t, agent.name, env["COMMONLY_INSTANCE_ID"]["value"])
		require.Equal(t, "cloud-codex-"+agent.name+"-litellm-key", dig(env["LITELLM_API_KEY"], "valueFrom", "secretKeyRef", "name"))
		require.Equal(t, true, dig(env["LITELLM_API_KEY"], "valueFrom", "secretKeyRef", "optional"))

		cm := getJSON(t, e2eNamespace, "configmap", "cloud-codex-"+agent.name+"-config")
		parsed, err := codexconfig.Parse(dig(cm, "data", codexconfig.FileName).(string))
		require.NoError(t, err)
		require.Equal(t, codexconfig.ForLiteLLM("codex-cli/gpt-5.4", "http://litellm."+e2eNamespace+".svc.cluster.local:4000/v1", nil), parsed)

		pvc := getJSON(t, e2eNamespace, "pvc", "cloud-codex-"+agent.name)
		require.Equal(t, []any{"ReadWriteOnce"}, dig(pvc, "spec", "accessModes"))
	}

	pool := getJSON(t, e2eNamespace, "deployment", "litellm")
	require.Equal(t, "Recreate", dig(pool, "spec", "strategy", "type"))
	require.Equal(t, float64(1), dig(pool, "spec", "replicas"))
	var inits []string
	for _, c := range dig(pool, "spec", "template", "spec", "initContainers").([]any) {
		c := c.(map[string]any)
		name := c["name"].(string)
		if c["restartPolicy"] == "Always" {
			name += " (sidecar)"
		}
		inits = append(inits, name)
	}
	require.Contains(t, inits, "codex-cli (sidecar)", "the device-auth station is a native sidecar: %v", inits)
	require.Equal(t, "seed", inits[len(inits)-1], "seeding is the last step before LiteLLM starts: %v", inits)
	for _, c := range dig(pool, "spec", "template", "spec", "containers").([]any) {
		c := c.(map[string]any)
		if c["name"] == "litellm" {
			require.Equal(t, "/health/liveliness", dig(c, "livenessProbe", "httpGet", "path"))
			require.Equal(t, "/health/readiness", dig(c, "readinessProbe", "httpGet", "path"))
		}
	}
	cm := getJSON(t, e2eNamespace, "configmap", "litellm-config")
	cfg, err := litellmconfig.Parse(dig(cm, "data", litellmconfig.FileName).(string))
	require.NoError(t, err)
	upstream, ok := cfg.Upstream("codex-cli/gpt-5.4")
	require.True(t, ok)
	require.True(t, litellmconfig.IsResponsesPathModel(upstream), upstream)

	for _, s := range []struct{ name, key string }{
		{"litellm-master-key", "LITELLM_MASTER_KEY"}, {"litellm-salt-key", "LITELLM_SALT_KEY"}, {"litellm-database-url", "DATABASE_URL"},
	} {
		secret := getJSON(t, e2eNamespace, "secret", s.name)
		require.Contains(t, dig(secret, "data"), s.key, "secret %s", s.name)
	}
	svc := getJSON(t, e2eNamespace, "service", "litellm")
	require.Equal(t, float64(4000), dig(svc, "spec", "ports", 0, "port"))
	require.True(t, exists(t, e2eNamespace, "pvc", "litellm-chatgpt-auth"))
	require.True(t, exists(t, e2eNamespace, "networkpolicy", "litellm"))
	// Controllers run: the Deployment's ReplicaSet exists (pods never run: no kubelet).
	out, err := kubectl(t, "get", "replicasets", "-n", e2eNamespace, "-l", "app.kubernetes.io/instance=cody", "-o", "name")
	require.NoError(t, err)
	require.NotEmpty(t, strings.TrimSpace(string(out)), "kube-controller-manager creates the ReplicaSet")
}

func assertKeyRegistration(t *testing.T, outputs auto.OutputMap) {
	require.NotNil(t, outputs, "up must have run")
	for _, agent := range []string{"cody", "ada"} {
		key := dig(outputs["agents"].Value, agent, "litellmKey").(map[string]any)
		require.Equal(t, "pulumi", key["managedBy"])
		secret := getJSON(t, e2eNamespace, "secret", key["secret"].(string))
		value, err := base64.StdEncoding.DecodeString(dig(secret, "data", "key").(string))
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(value), "sk-"), "a LiteLLM virtual key value")

		job := getJSON(t, e2eNamespace, "job", key["registrationJob"].(string))
		spec := dig(job, "spec", "template", "spec").(map[string]any)
		require.Equal(t, "Never", spec["restartPolicy"])
		require.Equal(t, "build-registrar", dig(spec, "initContainers", 0, "name"))
		register := dig(spec, "containers", 0).(map[string]any)
		refs := map[string]string{}
		for _, e := range register["env"].([]any) {
			e := e.(map[string]any)
			if ref := dig(e, "valueFrom", "secretKeyRef"); ref != nil {
				refs[e["name"].(string)] = dig(ref, "name").(string) + "/" + dig(ref, "key").(string)
			}
		}
		require.Contains(t, refs, keyregistrar.EnvMasterKey)
		require.Equal(t, "litellm-master-key", strings.Split(refs[keyregistrar.EnvMasterKey], "/")[0])
		require.Equal(t, key["secret"].(string)+"/key", refs[keyregistrar.EnvKey])
		require.Contains(t, strings.Join(toStrings(register["command"]), " ")+" "+strings.Join(toStrings(register["args"]), " "),
			"codex-cli/gpt-5.4", "the allowlist is the pool's responses-path alias")
		dep := getJSON(t, e2eNamespace, "deployment", "cloud-codex-"+agent)
		require.Equal(t, `["codex-cli/gpt-5.4"]`, dig(dep, "metadata", "annotations", "cloud-codex.dev/model-allowlist"))
	}
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// dig walks decoded JSON by keys and indices; a miss is nil.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		default:
			panic(fmt.Sprintf("dig: bad path element %v", p))
		}
	}
	return v
}
