package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Every component names its children "<component name>-<role>" (the Pulumi name; the
// Kubernetes names come from the args), so two components with different names never
// collide, whatever their args. Before this rule the agents, the key registrar and the
// agent scripts named their children after their Kubernetes objects; renamedChild keeps
// those children's identity in an existing stack. The aliases cost nothing once a stack
// has run an `up` with them (its state then holds the new names); they can go when no
// stack older than that is left, proved with `make check-upgrade FROM=<oldest deployed>`.

// renamedChild returns the options of a component's child now named newName: parent, and,
// when the child was called oldName under the same parent before, an alias to that name.
// Without the alias the engine would replace the object (for a claim: delete its data).
func renamedChild(parent pulumi.ResourceOption, newName, oldName string) pulumi.ResourceOption {
	if oldName == newName {
		return parent
	}
	return pulumi.Composite(parent, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(oldName)}}))
}
