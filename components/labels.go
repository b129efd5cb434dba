package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/contract"
)

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
		contract.LabelName:      pulumi.String(l.Name),
		contract.LabelInstance:  pulumi.String(l.Instance),
		contract.LabelComponent: pulumi.String(l.Component),
		contract.LabelPartOf:    pulumi.String(PartOf),
		contract.LabelManagedBy: pulumi.String(ManagedBy),
	}
}

// Selector returns the immutable subset used in selectors.
func (l Labels) Selector() pulumi.StringMap {
	return pulumi.StringMap{
		contract.LabelName:     pulumi.String(l.Name),
		contract.LabelInstance: pulumi.String(l.Instance),
	}
}
