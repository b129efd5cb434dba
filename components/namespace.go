package components

import (
	"fmt"
	"slices"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/contract"
)

// PodSecurityLevels are the Pod Security Admission labels of the namespace.
type PodSecurityLevels struct{ Enforce, Warn, Audit string }

// kubernetesNamespaces exist in every cluster and belong to Kubernetes (with every other
// kube- name, a prefix it reserves).
var kubernetesNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// CheckStackNamespace checks the stack's namespace name: a DNS label, and not one of
// Kubernetes' own. The stack declares its namespace, labels it with Pod Security levels
// and retains it: in kube-system, `restricted` would stop the cluster's own privileged
// pods from being re-created, and default already exists, so the create fails after the
// checks pass.
func CheckStackNamespace(field, v string) error {
	if err := CheckDNSLabel(field, v, 63); err != nil {
		return err
	}
	if slices.Contains(kubernetesNamespaces, v) || strings.HasPrefix(v, "kube-") {
		return &FieldError{field, fmt.Sprintf("%q", v), "is one of Kubernetes' own namespaces: the stack creates its namespace, " +
			"labels it with Pod Security levels and keeps it; use a namespace of its own, e.g. \"cloud-codex\""}
	}
	return nil
}

// NewNamespace declares the stack's namespace with Pod Security Admission labels, so
// violations are refused (enforce) and warnings reach the user in `pulumi up` (warn).
// It is retained on destroy: deleting it would delete the state PVCs inside it, which are
// retained on purpose.
func NewNamespace(ctx *pulumi.Context, name string, levels PodSecurityLevels, skipAwait bool, opts ...pulumi.ResourceOption) (*corev1.Namespace, error) {
	if err := CheckStackNamespace("namespace", name); err != nil {
		return nil, err
	}
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
