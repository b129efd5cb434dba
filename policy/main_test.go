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

// ruleNames are the exact rule names (docs, e2e tests and --policy-pack-config use them).
var ruleNames = []string{
	"no-codex-credentials-outside-auth-pool",
	"one-auth-holder",
	"rwo-volume-recreate-single-replica",
	"agents-route-through-litellm",
	"no-credentials-in-configmaps",
	"agent-identity",
	"litellm-api-key-from-secret",
	"agent-model-in-key-allowlist",
	"litellm-pool-secrets-only-in-pool",
	"single-writer-not-scaled-from-outside",
}

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
	if !slices.Equal(names, ruleNames) {
		t.Fatalf("rules %q, want %q", names, ruleNames)
	}
	if n := len(rules.Policies()); n != len(names) {
		t.Fatalf("the pack serves %d rules, policy/rules has %d", len(names), n)
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
