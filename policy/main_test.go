package main

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"cloud-codex/policy/rules"
)

// The rules and their behaviour are policy/rules' tests; these pin what only this command
// decides: the pack's name and version (docs, --policy-pack-config and PulumiPolicy.yaml
// use them) and that it serves every rule.

func TestPackServesEveryRule(t *testing.T) {
	pack, err := NewPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	if pack.Name() != "cloud-codex-policy" || pack.Version().String() != PackVersion {
		t.Fatalf("pack %s %s", pack.Name(), pack.Version())
	}
	var names []string
	for _, p := range pack.Policies() {
		names = append(names, p.Name())
	}
	// The names themselves are pinned in policy/rules (ruleNames in pack_test.go).
	var want []string
	for _, p := range rules.Policies() {
		want = append(want, p.Name())
	}
	if !slices.Equal(names, want) {
		t.Fatalf("the pack serves %q, policy/rules has %q", names, want)
	}
}

func TestPulumiPolicyYAML(t *testing.T) {
	proj, err := workspace.LoadPolicyPack("PulumiPolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if proj.Runtime.Name() != "go" || proj.Version != PackVersion {
		t.Fatalf("PulumiPolicy.yaml: runtime %q version %q, want go %s", proj.Runtime.Name(), proj.Version, PackVersion)
	}
}
