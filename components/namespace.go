package components

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/contract"
)

// PodSecurityLevels are the Pod Security Admission labels of the namespace.
type PodSecurityLevels struct{ Enforce, Warn, Audit string }

// NewNamespace declares the stack's namespace with Pod Security Admission labels, so
// violations are refused (enforce) and warnings reach the user in `pulumi up` (warn).
// It is retained on destroy: deleting it would delete the state PVCs inside it, which are
// retained on purpose.
func NewNamespace(ctx *pulumi.Context, name string, levels PodSecurityLevels, skipAwait bool, opts ...pulumi.ResourceOption) (*corev1.Namespace, error) {
	meta := &metav1.ObjectMetaArgs{
		Name: pulumi.String(name),
		Labels: pulumi.StringMap{
			contract.LabelPartOf:                 pulumi.String(PartOf),
			contract.LabelManagedBy:              pulumi.String(ManagedBy),
			"pod-security.kubernetes.io/enforce": pulumi.String(levels.Enforce),
			"pod-security.kubernetes.io/warn":    pulumi.String(levels.Warn),
			"pod-security.kubernetes.io/audit":   pulumi.String(levels.Audit),
		},
	}
	if skipAwait {
		meta.Annotations = pulumi.StringMap{SkipAwaitAnnotation: pulumi.String("true")}
	}
	return corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{Metadata: meta},
		append(opts, pulumi.RetainOnDelete(true))...)
}
