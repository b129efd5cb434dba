package rules

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"go.yaml.in/yaml/v3"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
	"cloud-codex/litellmconfig"
)

// Samples for the Go table tests (the cases data samples cannot express: every route for
// every pod-bearing kind and container list, unknown values, the engine's property
// representation): a compliant stack made of the auth pool exactly as the program
// registers it (testdata/stacks/dev.yaml) and two hand-built agents, builders for resources
// declared inside or outside the components, and a violation recorder. The route classes
// and their compliant look-alikes are data samples (testdata/<rule>/samples).

const (
	testNS      = "cloud-codex"
	testModel   = "codex-cli/gpt-5.4"
	testBaseURL = "http://litellm.cloud-codex.svc.cluster.local:4000/v1"
	poolURN     = "urn:pulumi:dev::cloud-codex::" + contract.LiteLLMAuthPoolType + "::litellm"
	kubeDeploy  = "kubernetes:apps/v1:Deployment"
	kubeCM      = "kubernetes:core/v1:ConfigMap"
	kubeSecret  = "kubernetes:core/v1:Secret"
	kubePVC     = "kubernetes:core/v1:PersistentVolumeClaim"
	kubeService = "kubernetes:core/v1:Service"
	authPVCName = "litellm-chatgpt-auth"
)

// kindTypes is the type token of every pod-bearing kind the rules must understand.
var kindTypes = map[string]string{
	"Pod":                   "kubernetes:core/v1:Pod",
	"PodTemplate":           "kubernetes:core/v1:PodTemplate",
	"ReplicationController": "kubernetes:core/v1:ReplicationController",
	"Deployment":            "kubernetes:apps/v1:Deployment",
	"StatefulSet":           "kubernetes:apps/v1:StatefulSet",
	"DaemonSet":             "kubernetes:apps/v1:DaemonSet",
	"ReplicaSet":            "kubernetes:apps/v1:ReplicaSet",
	"Job":                   "kubernetes:batch/v1:Job",
	"CronJob":               "kubernetes:batch/v1:CronJob",
}

// childURN is the URN of a resource of type typ named name, declared inside the given
// chain of component types (outermost first; nil = at the stack's top level).
func childURN(chain []string, typ, name string) string {
	return "urn:pulumi:dev::cloud-codex::" + strings.Join(append(append([]string(nil), chain...), typ), "$") + "::" + name
}

func agentURN(name string) string {
	return childURN(nil, contract.CloudCodexAgentType, name)
}

// yamlMap parses YAML into plain values with JSON's shapes (numbers are float64).
func yamlMap(t testing.TB, src string) map[string]any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("sample YAML: %v\n%s", err, src)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("sample YAML: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("sample YAML: %v", err)
	}
	return out
}

// res builds a resource from its URN, parent and YAML properties.
func res(t testing.TB, u, parent, props string) *Resource {
	t.Helper()
	parsed, err := urn.Parse(u)
	if err != nil {
		t.Fatalf("bad URN %q: %v", u, err)
	}
	return &Resource{URN: u, Type: string(parsed.Type()), Parent: parent, Props: yamlMap(t, props)}
}

// component builds a component resource (no properties).
func component(typ, name string, outputs ...map[string]any) *Resource {
	props := map[string]any{}
	for _, o := range outputs {
		for k, v := range o {
			props[k] = v
		}
	}
	return &Resource{URN: childURN(nil, typ, name), Type: typ, Props: props}
}

// workloadRes wraps a pod spec (YAML) into an object of the given kind, declared inside
// chain (with the given parent URN).
func workloadRes(t testing.TB, kind, name string, chain []string, parent, podSpec string, extra ...func(map[string]any)) *Resource {
	t.Helper()
	typ, ok := kindTypes[kind]
	if !ok {
		t.Fatalf("unknown kind %s", kind)
	}
	pod := yamlMap(t, podSpec)
	meta := map[string]any{"name": name, "namespace": testNS}
	props := map[string]any{"metadata": meta, "kind": kind}
	template := map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name}}, "spec": pod}
	switch kind {
	case "Pod":
		props["spec"] = pod
	case "PodTemplate":
		props["template"] = template
	case "CronJob":
		props["spec"] = map[string]any{"schedule": "*/5 * * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": template}}}
	case "Job", "DaemonSet":
		props["spec"] = map[string]any{"template": template}
	default:
		props["spec"] = map[string]any{"replicas": float64(1), "template": template}
	}
	for _, f := range extra {
		f(props)
	}
	return &Resource{URN: childURN(chain, typ, name), Type: typ, Parent: parent, Props: props}
}

// recreate sets a Deployment's strategy to Recreate.
func recreate(props map[string]any) {
	props["spec"].(map[string]any)["strategy"] = map[string]any{"type": "Recreate"}
}

// replicas sets spec.replicas.
func replicas(n int) func(map[string]any) {
	return func(props map[string]any) { props["spec"].(map[string]any)["replicas"] = float64(n) }
}

// annotate sets a metadata annotation.
func annotate(k, v string) func(map[string]any) {
	return func(props map[string]any) {
		meta := props["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		if ann == nil {
			ann = map[string]any{}
			meta["annotations"] = ann
		}
		ann[k] = v
	}
}

// configMapRes builds a ConfigMap with the given data.
func configMapRes(chain []string, parent, name string, data map[string]string) *Resource {
	d := map[string]any{}
	for k, v := range data {
		d[k] = v
	}
	return &Resource{
		URN: childURN(chain, kubeCM, name), Type: kubeCM, Parent: parent,
		Props: map[string]any{"metadata": map[string]any{"name": name, "namespace": testNS}, "data": d},
	}
}

// secretRes builds a Secret whose data values are base64-encoded, as in the provider's outputs.
func secretRes(chain []string, parent, name string, data map[string]string) *Resource {
	d := map[string]any{}
	for k, v := range data {
		d[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return &Resource{
		URN: childURN(chain, kubeSecret, name), Type: kubeSecret, Parent: parent,
		Props: map[string]any{"metadata": map[string]any{"name": name, "namespace": testNS}, "type": "Opaque", "data": d},
	}
}

// pvcRes builds a PVC with the given access mode.
func pvcRes(t testing.TB, chain []string, parent, name, mode string) *Resource {
	return res(t, childURN(chain, kubePVC, name), parent, fmt.Sprintf(`
metadata: {name: %s, namespace: %s}
spec:
  accessModes: [%s]
  resources: {requests: {storage: 1Gi}}
`, name, testNS, mode))
}

// testJWT is a syntactically valid JWT with an exp claim (not a real token).
func testJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(`{"exp":2000000000,"sub":"user"}`)) + ".c2lnbmF0dXJl"
}

// testAuthJSON is a codex auth.json (nested form) with test tokens.
func testAuthJSON() string {
	return fmt.Sprintf(`{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{"id_token":%q,"access_token":%q,"refresh_token":"rt-test","account_id":"acct"},"last_refresh":"2026-01-01T00:00:00Z"}`,
		testJWT(), testJWT())
}

// litellmConfigYAML is the pool's LiteLLM config, rendered with the shared model.
func litellmConfigYAML(t testing.TB, models ...litellmconfig.Model) string {
	t.Helper()
	if len(models) == 0 {
		models = []litellmconfig.Model{{ModelName: testModel, LiteLLMParams: litellmconfig.LiteLLMParams{Model: "chatgpt/gpt-5.4"}}}
	}
	out, err := litellmconfig.Render(litellmconfig.Config{
		ModelList:       models,
		GeneralSettings: litellmconfig.GeneralSettings{MasterKey: litellmconfig.EnvRef("LITELLM_MASTER_KEY")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// codexConfigTOML renders an agent's config.toml with the shared model.
// loginConfigTOML is the auth pool's codex login config, rendered as the component does.
func loginConfigTOML(t testing.TB) string {
	t.Helper()
	out, err := codexconfig.Render(codexconfig.LoginConfig())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func codexConfigTOML(t testing.TB, mutate ...func(*codexconfig.Config)) string {
	t.Helper()
	c := codexconfig.ForLiteLLM(testModel, testBaseURL, nil)
	for _, m := range mutate {
		m(&c)
	}
	out, err := codexconfig.Render(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// poolResources are the auth pool exactly as the program registers it: the
// LiteLLMAuthPool's resources of the dev stack sample (testdata/stacks/dev.yaml, which the
// root package pins to what the program registers) and the namespace. Read once; each call
// returns copies, so a test may change them.
func poolResources(t testing.TB) []*Resource {
	t.Helper()
	devPool.once.Do(func() {
		all, err := ReadManifest("testdata/stacks/dev.yaml", nil)
		if err != nil {
			devPool.err = err
			return
		}
		for _, r := range all {
			if strings.Contains(r.URN, contract.LiteLLMAuthPoolType) || r.Type == "kubernetes:core/v1:Namespace" {
				devPool.rs = append(devPool.rs, r)
			}
		}
	})
	if devPool.err != nil {
		t.Fatal(devPool.err)
	}
	out := make([]*Resource, 0, len(devPool.rs))
	for _, r := range devPool.rs {
		c := *r
		c.Dependencies = append([]string(nil), r.Dependencies...)
		c.Props = deepCopy(r.Props).(map[string]any)
		out = append(out, &c)
	}
	return out
}

var devPool struct {
	once sync.Once
	rs   []*Resource
	err  error
}

// deepCopy copies plain values (maps, lists, scalars).
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// agentPodSpec is a compliant agent pod spec.
func agentPodSpec(name string) string {
	return fmt.Sprintf(`
initContainers:
- name: boot
  image: node:22-bookworm-slim
  command: [sh, -c, "cp /etc/codex/config.toml /home/node/.codex/config.toml"]
  env: [{name: CODEX_HOME, value: /home/node/.codex}]
  volumeMounts:
  - {name: home, mountPath: /home/node/.codex}
  - {name: codex-config, mountPath: /etc/codex}
containers:
- name: agent
  image: node:22-bookworm-slim
  command: [codex, exec, --skip-git-repo-check, hi]
  env:
  - {name: COMMONLY_AGENT_NAME, value: codex}
  - {name: COMMONLY_INSTANCE_ID, value: %[1]s}
  - {name: CODEX_HOME, value: /home/node/.codex}
  - name: LITELLM_API_KEY
    valueFrom: {secretKeyRef: {name: %[1]s-litellm-key, key: api-key}}
  volumeMounts:
  - {name: home, mountPath: /home/node/.codex}
volumes:
- {name: home, persistentVolumeClaim: {claimName: %[1]s-home}}
- {name: codex-config, configMap: {name: %[1]s-codex-config}}
`, name)
}

// agentResources are one CloudCodexAgent as the component declares it.
func agentResources(t testing.TB, name string, extra ...func(map[string]any)) []*Resource {
	chain := []string{contract.CloudCodexAgentType}
	parent := agentURN(name)
	return []*Resource{
		component(contract.CloudCodexAgentType, name, map[string]any{
			"model": testModel, "modelAllowlist": []any{testModel}, "deploymentName": name,
		}),
		pvcRes(t, chain, parent, name+"-home", "ReadWriteOnce"),
		configMapRes(chain, parent, name+"-codex-config", map[string]string{codexconfig.FileName: codexConfigTOML(t)}),
		workloadRes(t, "Deployment", name, chain, parent, agentPodSpec(name), append([]func(map[string]any){recreate}, extra...)...),
	}
}

// devStack is a compliant stack: the program's auth pool and two agents.
func devStack(t testing.TB, extra ...*Resource) *Stack {
	rs := poolResources(t)
	rs = append(rs, agentResources(t, "alice")...)
	rs = append(rs, agentResources(t, "bob")...)
	return NewStack(append(rs, extra...))
}

// without returns the stack's resources minus the one with the given URN, plus extra.
func replaceRes(s *Stack, u string, with ...*Resource) *Stack {
	var rs []*Resource
	for _, r := range s.Resources {
		if r.URN != u {
			rs = append(rs, r)
		}
	}
	return NewStack(append(rs, with...))
}

// recorder is a policyx.PolicyManager that records violations.
type recorder struct{ vs []Violation }

func (r *recorder) ReportViolation(message, urn string) {
	r.vs = append(r.vs, Violation{URN: urn, Message: message})
}

// assertViolations checks that vs are exactly one per wanted URN, each message containing
// the wanted substrings.
func assertViolations(t *testing.T, vs []Violation, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, v := range vs {
		got[v.URN] = append(got[v.URN], v.Message)
	}
	for u, subs := range want {
		msgs, ok := got[u]
		if !ok {
			t.Errorf("no violation for %s; got %s", u, describe(vs))
			continue
		}
		all := strings.Join(msgs, "\n")
		for _, s := range subs {
			if !strings.Contains(all, s) {
				t.Errorf("violation for %s lacks %q:\n%s", u, s, all)
			}
		}
	}
	for u := range got {
		if _, ok := want[u]; !ok {
			t.Errorf("unexpected violation for %s:\n%s", u, strings.Join(got[u], "\n"))
		}
	}
}

func describe(vs []Violation) string {
	if len(vs) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n%s: %s", v.URN, v.Message)
	}
	return b.String()
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// secretPaths names the top-level properties toAnalyzer marks as Pulumi secrets.
type secretPaths map[string]bool

// toAnalyzer converts a sample to what a policy receives from the engine: a property map
// (via the engine's own resource.PropertyMap), with secrets where asked and computed
// values where the sample holds unknownValue.
func toAnalyzer(t testing.TB, r *Resource, secret secretPaths) policyx.AnalyzerResource {
	t.Helper()
	pm := resource.PropertyMap{}
	for k, v := range r.Props {
		pv := toPropertyValue(v)
		if secret[k] {
			pv = resource.MakeSecret(pv)
		}
		pm[resource.PropertyKey(k)] = pv
	}
	return policyx.AnalyzerResource{
		Type: r.Type, URN: r.URN, Name: r.Name(), Parent: r.Parent, Dependencies: r.Dependencies,
		Properties: resource.FromResourcePropertyMap(pm),
	}
}

func toPropertyValue(v any) resource.PropertyValue {
	switch v := v.(type) {
	case string:
		if isUnknown(v) {
			return resource.MakeComputed(resource.NewStringProperty(""))
		}
		return resource.NewStringProperty(v)
	case map[string]any:
		m := resource.PropertyMap{}
		for k, e := range v {
			m[resource.PropertyKey(k)] = toPropertyValue(e)
		}
		return resource.NewObjectProperty(m)
	case []any:
		arr := make([]resource.PropertyValue, 0, len(v))
		for _, e := range v {
			arr = append(arr, toPropertyValue(e))
		}
		return resource.NewArrayProperty(arr)
	default:
		return resource.NewPropertyValue(v)
	}
}

// stackToAnalyzer converts every resource of a sample stack; the properties named in
// secret are marked secret on every resource.
func stackToAnalyzer(t testing.TB, s *Stack, secret secretPaths) []policyx.AnalyzerResource {
	out := make([]policyx.AnalyzerResource, 0, len(s.Resources))
	for _, r := range s.Resources {
		out = append(out, toAnalyzer(t, r, secret))
	}
	return out
}

// claimPod is a pod that mounts the claim at /data.
func claimPod(claim string) string {
	return `
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}]
volumes: [{name: v, persistentVolumeClaim: {claimName: ` + claim + `}}]
`
}
