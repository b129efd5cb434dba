package components

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ResourcesArgs are a container's requests and limits (Kubernetes quantities).
type ResourcesArgs struct {
	CPURequest, MemoryRequest, CPULimit, MemoryLimit string
}

// resourceRequirements converts requests and limits.
func resourceRequirements(r ResourcesArgs) *corev1.ResourceRequirementsArgs {
	return &corev1.ResourceRequirementsArgs{
		Requests: pulumi.StringMap{"cpu": pulumi.String(r.CPURequest), "memory": pulumi.String(r.MemoryRequest)},
		Limits:   pulumi.StringMap{"cpu": pulumi.String(r.CPULimit), "memory": pulumi.String(r.MemoryLimit)},
	}
}
