package components

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ResourcesArgs are a container's requests and limits (Kubernetes quantities), shaped as in
// a pod spec so that stack config decodes straight into them.
type ResourcesArgs struct {
	Requests ResourceList `json:"requests" pulumi:"requests"`
	Limits   ResourceList `json:"limits" pulumi:"limits"`
}

// ResourceList is the cpu and memory of requests or limits.
type ResourceList struct {
	CPU    string `json:"cpu" pulumi:"cpu"`
	Memory string `json:"memory" pulumi:"memory"`
}

// requestsAndLimits builds ResourcesArgs in the order people say them: requests, then limits.
func requestsAndLimits(cpuRequest, memoryRequest, cpuLimit, memoryLimit string) ResourcesArgs {
	return ResourcesArgs{
		Requests: ResourceList{CPU: cpuRequest, Memory: memoryRequest},
		Limits:   ResourceList{CPU: cpuLimit, Memory: memoryLimit},
	}
}

// resourceRequirements converts requests and limits.
func resourceRequirements(r ResourcesArgs) *corev1.ResourceRequirementsArgs {
	return &corev1.ResourceRequirementsArgs{
		Requests: pulumi.StringMap{"cpu": pulumi.String(r.Requests.CPU), "memory": pulumi.String(r.Requests.Memory)},
		Limits:   pulumi.StringMap{"cpu": pulumi.String(r.Limits.CPU), "memory": pulumi.String(r.Limits.Memory)},
	}
}
