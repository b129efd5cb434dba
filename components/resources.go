package components

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

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

// wholeBytes reports a quantity with no fraction of a unit: "512Mi", "1.5Gi", "1e3"; not
// "512m" (512 thousandths) or "0.5". Value rounds up, so it equals q only when q is whole.
func wholeBytes(q resource.Quantity) bool {
	return resource.NewQuantity(q.Value(), q.Format).Cmp(q) == 0
}

// memorySuggestion is what a fractional memory value most likely meant: "512m" → "512Mi".
func memorySuggestion(v string) string {
	if n, ok := strings.CutSuffix(v, "m"); ok {
		return n + "Mi"
	}
	return "512Mi"
}

// validate checks requests and limits as the API server will, at field's key paths: each a
// quantity, none negative, no request above its limit. minMemoryLimit, when set, is the
// smallest memory limit the container boots with ("" for none).
func (r ResourcesArgs) validate(field, minMemoryLimit string) error {
	var errs []error
	q := map[string]resource.Quantity{}
	for _, f := range []struct{ name, v string }{
		{"requests.cpu", r.Requests.CPU}, {"requests.memory", r.Requests.Memory},
		{"limits.cpu", r.Limits.CPU}, {"limits.memory", r.Limits.Memory},
	} {
		name := field + "." + f.name
		if err := CheckQuantity(name, f.v); err != nil {
			errs = append(errs, err)
			continue
		}
		v := resource.MustParse(f.v)
		if v.Sign() < 0 {
			errs = append(errs, &FieldError{name, fmt.Sprintf("%q", f.v), "must not be negative"})
			continue
		}
		if strings.HasSuffix(f.name, ".memory") && !wholeBytes(v) {
			errs = append(errs, &FieldError{name, fmt.Sprintf("%q", f.v), fmt.Sprintf(
				"is not a whole number of bytes (the suffix m is milli: %q is %s of a byte): memory is counted in bytes; use a binary suffix, e.g. %q",
				f.v, v.AsDec().String(), memorySuggestion(f.v))})
			continue
		}
		q[f.name] = v
	}
	if ml, ok := q["limits.memory"]; ok {
		if minMemoryLimit != "" {
			if min := resource.MustParse(minMemoryLimit); ml.Cmp(min) < 0 {
				errs = append(errs, &FieldError{field + ".limits.memory", fmt.Sprintf("%q", r.Limits.Memory), "must be at least " + minMemoryLimit + ": LiteLLM is OOM-killed at boot below that"})
			}
		}
		if mr, ok := q["requests.memory"]; ok && mr.Cmp(ml) > 0 {
			errs = append(errs, &FieldError{field + ".requests.memory", fmt.Sprintf("%q", r.Requests.Memory), "must not exceed the memory limit " + r.Limits.Memory + " (the API server refuses the pod)"})
		}
	}
	if cl, ok := q["limits.cpu"]; ok {
		if cr, ok := q["requests.cpu"]; ok && cr.Cmp(cl) > 0 {
			errs = append(errs, &FieldError{field + ".requests.cpu", fmt.Sprintf("%q", r.Requests.CPU), "must not exceed the CPU limit " + r.Limits.CPU + " (the API server refuses the pod)"})
		}
	}
	return errors.Join(errs...)
}
