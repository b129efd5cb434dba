package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// PartOf is the app.kubernetes.io/part-of value of every object this program declares.
const PartOf = "cloud-codex"

// ManagedBy is the app.kubernetes.io/managed-by value of every object this program declares.
const ManagedBy = "pulumi"

// Labels are the recommended app.kubernetes.io labels. Selectors use only name + instance,
// which never change for an object's lifetime (a Deployment's selector is immutable).
type Labels struct {
	Name      string // app.kubernetes.io/name, e.g. "cloud-codex-agent" or "litellm"
	Instance  string // app.kubernetes.io/instance, e.g. the agent name
	Component string // app.kubernetes.io/component, e.g. "agent", "auth-pool", "database"
}

// All returns every label for metadata.labels.
func (l Labels) All() pulumi.StringMap {
	return pulumi.StringMap{
		"app.kubernetes.io/name":       pulumi.String(l.Name),
		"app.kubernetes.io/instance":   pulumi.String(l.Instance),
		"app.kubernetes.io/component":  pulumi.String(l.Component),
		"app.kubernetes.io/part-of":    pulumi.String(PartOf),
		"app.kubernetes.io/managed-by": pulumi.String(ManagedBy),
	}
}

// Selector returns the immutable subset used in selectors.
func (l Labels) Selector() pulumi.StringMap {
	return pulumi.StringMap{
		"app.kubernetes.io/name":     pulumi.String(l.Name),
		"app.kubernetes.io/instance": pulumi.String(l.Instance),
	}
}
