package rules

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Policies returns every rule of the pack, in the order the pack advertises them. The pack
// binary (policy/main.go) only assembles these; tests and other programs run the same
// values, so what they check is what `pulumi preview` enforces. Each rule sets its own
// enforcement level (mandatory): policyx ignores the pack-level default and an unset level
// means advisory.
func Policies() []policyx.Policy {
	return []policyx.Policy{
		noCodexCredentialsPolicy(),
		oneAuthHolderPolicy(),
		rwoVolumeRecreateSingleReplicaPolicy(),
		agentsRouteThroughLiteLLMPolicy(),
		noCredentialsInConfigMapsPolicy(),
		agentIdentityPolicy(),
		liteLLMAPIKeyFromSecretPolicy(),
		agentModelInKeyAllowlistPolicy(),
		poolSecretsOnlyInPoolPolicy(),
		singleWriterNotScaledFromOutsidePolicy(),
	}
}

// report sends a rule's findings to the policy manager.
func report(m policyx.PolicyManager, vs []Violation) {
	for _, v := range vs {
		m.ReportViolation(v.Message, v.URN)
	}
}
