package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// statePVCOptions protect a PVC that holds state: it survives `pulumi destroy` and removal
// from the program (RetainOnDelete), and a change to a field Kubernetes cannot update in
// place (class, access modes) is ignored instead of replacing the claim, which would delete
// the data. Size changes still apply (in-place expansion).
func statePVCOptions() pulumi.ResourceOption {
	return pulumi.Composite(
		pulumi.RetainOnDelete(true),
		pulumi.IgnoreChanges([]string{"spec.storageClassName", "spec.accessModes", "spec.volumeName", "spec.selector"}),
	)
}
