package components

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SkipAwaitAnnotation makes pulumi-kubernetes treat an object as ready at once. It is for
// API-only clusters (the embedded dev cluster has no kubelet, so nothing ever becomes
// ready); real clusters leave it off so `up` waits for readiness.
const SkipAwaitAnnotation = "pulumi.com/skipAwait"

// Meta is the metadata every object gets: explicit name (stable, predictable for
// operators), namespace, the standard labels, and the skipAwait annotation when asked.
func Meta(name, namespace string, labels Labels, skipAwait bool) *metav1.ObjectMetaArgs {
	m := &metav1.ObjectMetaArgs{
		Name:      pulumi.String(name),
		Namespace: pulumi.String(namespace),
		Labels:    labels.All(),
	}
	if skipAwait {
		m.Annotations = pulumi.StringMap{SkipAwaitAnnotation: pulumi.String("true")}
	}
	return m
}
