package testsupport

import pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

// ProgramAlias reports whether a registered alias is one of the program's own renames or
// moves (a name or a parent), not one of the type-only aliases the Kubernetes SDK adds to
// every object for its kind's older API versions.
func ProgramAlias(a *pulumirpc.Alias) bool {
	spec := a.GetSpec()
	return spec == nil || spec.GetName() != "" || spec.GetParentUrn() != "" || spec.GetNoParent()
}
