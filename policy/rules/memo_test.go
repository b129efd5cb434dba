package rules

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/contract"
)

// The stack rules of one validation share one conversion of the resources (issue 11):
// the same slice gives the same Stack, another slice (the next validation) a new one.
func TestStackFromAnalyzerConvertsOncePerValidation(t *testing.T) {
	resources := stackToAnalyzer(t, devStack(t), nil)
	s1 := stackFromAnalyzer(resources)
	if s2 := stackFromAnalyzer(resources); s2 != s1 {
		t.Fatal("the same resources were converted twice")
	}
	next := slices.Clone(resources)
	if s3 := stackFromAnalyzer(next); s3 == s1 {
		t.Fatal("another validation's resources reused the previous conversion")
	}
	if s4 := stackFromAnalyzer(resources[:len(resources)-1]); len(s4.Resources) != len(resources)-1 {
		t.Fatal("a shorter slice with the same first element reused the conversion")
	}
	if s := stackFromAnalyzer(nil); len(s.Resources) != 0 {
		t.Fatal("no resources, no stack")
	}
}

// The indexed lookup of the PVCs a workload mounts answers like the full scan it replaced
// (claimRefers against every PVC), claim names known or not.
func TestMountedPVCsMatchesTheScan(t *testing.T) {
	unknownClaim := workloadRes(t, "Deployment", "preview", nil, "", `
containers: [{name: app, image: busybox}]
volumes:
- {name: a, persistentVolumeClaim: {claimName: "\0<unknown>"}}
- {name: b, persistentVolumeClaim: {claimName: alice-home}}
- {name: c, persistentVolumeClaim: {claimName: alice-home}}
- {name: d, persistentVolumeClaim: {claimName: nobody}}
`)
	unknownClaim.Dependencies = []string{childURN([]string{contract.LiteLLMAuthPoolType}, kubePVC, authPVCName), "urn:other"}
	otherNS := workloadRes(t, "Deployment", "elsewhere", nil, "", `
containers: [{name: app, image: busybox}]
volumes: [{name: v, persistentVolumeClaim: {claimName: bob-home}}]
`, func(p map[string]any) { p["metadata"].(map[string]any)["namespace"] = "other" })
	s := devStack(t, unknownClaim, otherNS)
	for _, sw := range s.workloads() {
		var want []string
		for _, p := range s.pvcs() {
			if _, ok := sw.mountsPVC(p); ok {
				want = append(want, p.Res.URN)
			}
		}
		var got []string
		for _, p := range s.mountedPVCs(sw) {
			got = append(got, p.Res.URN)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: mountedPVCs %v, the scan finds %v", sw, got, want)
		}
	}
	var got []string
	for _, p := range s.mountedPVCs(StackWorkload{Res: unknownClaim, W: mustWorkload(t, unknownClaim)}) {
		got = append(got, p.Key.Name)
	}
	if want := []string{authPVCName, "alice-home"}; !slices.Equal(got, want) {
		t.Errorf("mountedPVCs = %v, want %v (the unknown claim by dependency, alice-home once)", got, want)
	}
}

func mustWorkload(t *testing.T, r *Resource) Workload {
	t.Helper()
	w, ok := WorkloadOf(r)
	if !ok {
		t.Fatalf("%s is not a workload", r.URN)
	}
	return w
}

// A resource rule's extra patterns are compiled once per distinct list, and a bad one is
// still refused.
func TestExtraPatternsAreCompiledOnce(t *testing.T) {
	cfg := map[string]any{configExtraPatterns: []any{`xoxb-[0-9A-Za-z-]+`}}
	a, err := cachedRegexListConfig(RuleNoCredentialsInConfigMaps, cfg, configExtraPatterns)
	if err != nil || len(a) != 1 {
		t.Fatalf("compile: %v %v", a, err)
	}
	b, _ := cachedRegexListConfig(RuleNoCredentialsInConfigMaps, cfg, configExtraPatterns)
	if a[0] != b[0] {
		t.Error("the same list was compiled twice")
	}
	if _, err := cachedRegexListConfig(RuleNoCredentialsInConfigMaps, map[string]any{configExtraPatterns: []any{"("}}, configExtraPatterns); err == nil {
		t.Error("an invalid pattern must be refused")
	}
	if got, err := cachedRegexListConfig(RuleNoCredentialsInConfigMaps, nil, configExtraPatterns); err != nil || got != nil {
		t.Errorf("no config: %v %v", got, err)
	}
}

// Running the whole pack twice over the same validation's resources (as policyx does for
// its stack rules) reports the same violations as fresh conversions would.
func TestSharedStackGivesTheSameVerdicts(t *testing.T) {
	intruder := workloadRes(t, "Job", "thief", nil, "", `
containers: [{name: app, image: busybox, env: [{name: OPENAI_API_KEY, value: sk-abcdefghijklmnop}]}]
volumes: [{name: v, persistentVolumeClaim: {claimName: litellm-chatgpt-auth}}]
`)
	resources := stackToAnalyzer(t, devStack(t, intruder), nil)
	verdicts := func(rs []policyx.AnalyzerResource) string {
		out := ""
		for _, p := range Policies() {
			sp, ok := p.(policyx.StackValidationPolicy)
			if !ok {
				continue
			}
			rec := &recorder{}
			if err := sp.Validate(context.Background(), policyx.StackValidationArgs{Manager: rec, Resources: rs}); err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf("%s: %s\n", p.Name(), describe(rec.vs))
		}
		return out
	}
	shared := verdicts(resources)
	if again := verdicts(resources); again != shared {
		t.Fatalf("second pass over the shared Stack differs:\n%s\nvs\n%s", again, shared)
	}
	if fresh := verdicts(slices.Clone(resources)); fresh != shared {
		t.Fatalf("fresh conversion differs:\n%s\nvs\n%s", fresh, shared)
	}
}
