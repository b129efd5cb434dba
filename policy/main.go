// Command cloud-codex-policy is the policy pack of this project: the invariants the
// components are built to keep (ADR-014 first: the runtime is not the auth surface), checked
// on every `pulumi preview`/`up` so that a hand-written resource, a copied manifest or a
// component bug cannot break them silently.
//
// Build it and pass the binary with --policy-pack (CLI >= 3.255). Passing this directory
// (PulumiPolicy.yaml, runtime: go) is broken with the project's toolchain: the Go language
// host starts the Pulumi program instead (README.md, Use). Every rule is mandatory unless
// --policy-pack-config says otherwise; see README.md. The rules live in policy/rules,
// importable by tests and other programs; this command only names, versions and serves them.
package main

import (
	"fmt"
	"os"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/policy/rules"
)

// PackName and PackVersion identify the pack in Pulumi's output and in policy config.
const (
	PackName    = "cloud-codex-policy"
	PackVersion = "0.3.0"
)

// NewPack assembles the pack. It needs nothing from the stack's context.
func NewPack(*pulumi.Context) (policyx.PolicyPack, error) {
	return policyx.NewPolicyPack(PackName, semver.MustParse(PackVersion), policyx.EnforcementLevelMandatory, rules.Policies())
}

func main() {
	if err := policyx.Main(NewPack); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
