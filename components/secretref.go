package components

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SecretRef points at one key of a Kubernetes Secret the operator (or another component)
// creates. Values never pass through this program's config.
type SecretRef struct {
	// Name of the Secret in the component's namespace.
	Name string `json:"name" pulumi:"name"`
	// Key inside the Secret.
	Key string `json:"key" pulumi:"key"`
}

// EnvFrom returns an env var whose value comes from the Secret. optional=true lets the pod
// start without the Secret (the container must then handle an empty value loudly).
func (r SecretRef) EnvFrom(envName string, optional bool) corev1.EnvVarArgs {
	return SecretKeyInput{Name: pulumi.String(r.Name), Key: r.Key}.EnvFrom(envName, optional)
}

// SecretKeyInput points at one key of a Secret whose name may be another resource's output
// (so the consumer depends on that resource), e.g. the auth pool's master-key Secret.
type SecretKeyInput struct {
	Name pulumi.StringInput `pulumi:"name"`
	Key  string             `pulumi:"key"`
}

// EnvFrom is SecretRef.EnvFrom for a Secret named by another resource's output (one
// spelling of a secretKeyRef for both).
func (r SecretKeyInput) EnvFrom(envName string, optional bool) corev1.EnvVarArgs {
	return corev1.EnvVarArgs{
		Name: pulumi.String(envName),
		ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{
				Name:     r.Name,
				Key:      pulumi.String(r.Key),
				Optional: pulumi.Bool(optional),
			},
		},
	}
}
