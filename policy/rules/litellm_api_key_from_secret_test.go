package rules

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

func TestCheckSecretOnlyEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		want string // "" = compliant
	}{
		{"from a Secret", `[{name: LITELLM_API_KEY, valueFrom: {secretKeyRef: {name: k, key: api-key}}}]`, ""},
		{"no key at all", `[{name: OTHER, value: x}]`, ""},
		{"literal", `[{name: LITELLM_API_KEY, value: sk-dev-literal}]`, "sets LITELLM_API_KEY as a literal value"},
		{"empty literal", `[{name: LITELLM_API_KEY}]`, "sets LITELLM_API_KEY as a literal value"},
		{"from a ConfigMap", `[{name: LITELLM_API_KEY, valueFrom: {configMapKeyRef: {name: c, key: k}}}]`, `takes LITELLM_API_KEY from ConfigMap "c" key "k"`},
		{"from a field", `[{name: LITELLM_API_KEY, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]`, `takes LITELLM_API_KEY from field "metadata.name"`},
	} {
		for _, field := range []string{"containers", "initContainers", "ephemeralContainers"} {
			for _, kind := range slices.Sorted(maps.Keys(kindTypes)) {
				t.Run(tc.name+"/"+field+"/"+kind, func(t *testing.T) {
					w, _ := WorkloadOf(workloadRes(t, kind, "w", nil, "", field+": [{name: app, image: x, env: "+tc.env+"}]"))
					got := CheckSecretOnlyEnv(w, []string{"LITELLM_API_KEY"})
					switch {
					case tc.want == "" && len(got) != 0:
						t.Fatalf("compliant env reported: %q", got)
					case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want) || !strings.Contains(got[0], field+`[0] "app"`)):
						t.Fatalf("got %q, want one finding like %q", got, tc.want)
					}
				})
			}
		}
	}
}

func TestLiteLLMAPIKeyFromSecretPolicy(t *testing.T) {
	p := liteLLMAPIKeyFromSecretPolicy().(policyx.ResourceValidationPolicy)
	w := toAnalyzer(t, workloadRes(t, "Deployment", "agent", nil, "", `
containers:
- name: app
  image: x
  env:
  - {name: LITELLM_API_KEY, value: sk-literal}
  - {name: LITELLM_MASTER_KEY, value: sk-master}
`), secretPaths{"spec": true})
	for _, tc := range []struct {
		name    string
		config  map[string]any
		want    []string
		wantErr string
	}{
		{name: "default names", want: []string{`Deployment "agent"`, "sets LITELLM_API_KEY as a literal value"}},
		{name: "additional names", config: map[string]any{configAdditionalEnvNames: []any{"LITELLM_MASTER_KEY"}},
			want: []string{"LITELLM_API_KEY as a literal", "LITELLM_MASTER_KEY as a literal"}},
		{name: "invalid name", config: map[string]any{configAdditionalEnvNames: []any{"NOT VALID"}},
			wantErr: `"additionalEnvNames" item 0 ("NOT VALID") is not an environment variable name`},
		{name: "not a list", config: map[string]any{configAdditionalEnvNames: 3.0},
			wantErr: `"additionalEnvNames" must be a list of strings, got float64`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			err := p.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: rec, Resource: w, Config: tc.config})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(rec.vs) != 1 {
				t.Fatalf("err %v, violations %s", err, describe(rec.vs))
			}
			for _, s := range tc.want {
				if !strings.Contains(rec.vs[0].Message, s) {
					t.Errorf("message lacks %q:\n%s", s, rec.vs[0].Message)
				}
			}
			if strings.Contains(rec.vs[0].Message, "sk-literal") {
				t.Errorf("message repeats the key")
			}
		})
	}
	// Not a workload: nothing to check.
	rec := &recorder{}
	if err := p.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: rec,
		Resource: toAnalyzer(t, configMapRes(nil, "", "c", map[string]string{"LITELLM_API_KEY": "x"}), nil)}); err != nil || len(rec.vs) != 0 {
		t.Fatalf("ConfigMap: %v %s", err, describe(rec.vs))
	}
}

func TestLiteLLMAPIKeyFromSecret_CustomResource(t *testing.T) {
	r := res(t, "urn:pulumi:dev::cloud-codex::kubernetes:argoproj.io/v1alpha1:Rollout::r", "", `
metadata: {name: r, namespace: cloud-codex}
spec: {template: {spec: {containers: [{name: a, image: node, env: [{name: LITELLM_API_KEY, value: sk-literal-0123456789}]}]}}}
`)
	ws := WorkloadsOf(r)
	if len(ws) != 1 {
		t.Fatalf("pod templates found: %d", len(ws))
	}
	if problems := CheckSecretOnlyEnv(ws[0], []string{"LITELLM_API_KEY"}); len(problems) != 1 {
		t.Fatalf("problems %q", problems)
	}
	got := runPack(t, []policyx.AnalyzerResource{toAnalyzer(t, r, nil)})
	if len(got[RuleLiteLLMAPIKeyFromSecret]) != 1 {
		t.Fatalf("the resource rule did not see the Rollout's pod template: %v", got)
	}
}
