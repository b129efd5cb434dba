package components

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8score "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// PlacementArgs say where a workload's pods may run (the original scheduled agents and
// LiteLLM on a dedicated `pool=dev` node pool). The types are Kubernetes' own, so stack
// config is written exactly as in a pod spec, and the API server validates affinity terms
// in full.
type PlacementArgs struct {
	// NodeSelector: node labels the pods require.
	NodeSelector map[string]string `json:"nodeSelector" pulumi:"nodeSelector"`
	// Tolerations of node taints.
	Tolerations []k8score.Toleration `json:"tolerations" pulumi:"tolerations"`
	// Affinity: node and pod (anti-)affinity.
	Affinity *k8score.Affinity `json:"affinity" pulumi:"affinity"`
	// PriorityClassName of the pods (the PriorityClass must exist).
	PriorityClassName string `json:"priorityClassName" pulumi:"priorityClassName"`
}

// IsZero reports whether no placement is set.
func (p PlacementArgs) IsZero() bool {
	return len(p.NodeSelector) == 0 && len(p.Tolerations) == 0 && p.Affinity == nil && p.PriorityClassName == ""
}

var (
	tolerationOperators = []k8score.TolerationOperator{"", k8score.TolerationOpEqual, k8score.TolerationOpExists}
	taintEffects        = []k8score.TaintEffect{"", k8score.TaintEffectNoSchedule, k8score.TaintEffectPreferNoSchedule, k8score.TaintEffectNoExecute}
)

// validate checks what the API server would refuse only after other objects were created;
// prefix is the field prefix ("placement" for agents, "Placement" for the pool).
func (p PlacementArgs) validate(prefix string) []error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(p.NodeSelector)) {
		f := KeyField(prefix+".nodeSelector", k) // label keys have dots: nodeSelector["kubernetes.io/arch"]
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, &FieldError{f, fmt.Sprintf("key %q", k), "must be a label key: " + strings.Join(msgs, "; ")})
		}
		if msgs := validation.IsValidLabelValue(p.NodeSelector[k]); len(msgs) > 0 {
			errs = append(errs, &FieldError{f, fmt.Sprintf("%q", p.NodeSelector[k]), "must be a label value: " + strings.Join(msgs, "; ")})
		}
	}
	for i, t := range p.Tolerations {
		f := fmt.Sprintf("%s.tolerations[%d]", prefix, i)
		if !slices.Contains(tolerationOperators, t.Operator) {
			errs = append(errs, &FieldError{f + ".operator", fmt.Sprintf("%q", t.Operator), `must be "Equal" (the default) or "Exists"`})
		}
		if !slices.Contains(taintEffects, t.Effect) {
			errs = append(errs, &FieldError{f + ".effect", fmt.Sprintf("%q", t.Effect), `must be "NoSchedule", "PreferNoSchedule", "NoExecute" or empty (every effect)`})
		}
		if t.Operator == k8score.TolerationOpExists && t.Value != "" {
			errs = append(errs, &FieldError{f + ".value", fmt.Sprintf("%q", t.Value), `must be empty with operator "Exists"`})
		}
		if t.Key == "" && t.Operator != k8score.TolerationOpExists {
			errs = append(errs, &FieldError{f + ".key", `""`, `an empty key (every taint) needs operator "Exists"`})
		}
		if t.Key != "" {
			if msgs := validation.IsQualifiedName(t.Key); len(msgs) > 0 {
				errs = append(errs, &FieldError{f + ".key", fmt.Sprintf("%q", t.Key), "must be a taint key: " + strings.Join(msgs, "; ")})
			}
		}
	}
	if p.PriorityClassName != "" {
		if msgs := validation.IsDNS1123Subdomain(p.PriorityClassName); len(msgs) > 0 {
			errs = append(errs, &FieldError{prefix + ".priorityClassName", fmt.Sprintf("%q", p.PriorityClassName), "must be a PriorityClass name: " + strings.Join(msgs, "; ")})
		}
	}
	return errs
}

// apply sets the placement on a pod spec. Kubernetes' types become the SDK's plain types
// through their JSON form (the SDK's field names are the JSON names, capitalised), and
// pulumi.ToOutput turns those into the SDK's typed outputs.
func (p PlacementArgs) apply(spec *corev1.PodSpecArgs) error {
	if len(p.NodeSelector) > 0 {
		spec.NodeSelector = pulumi.ToStringMap(p.NodeSelector)
	}
	if len(p.Tolerations) > 0 {
		var plain []corev1.Toleration
		if err := convertJSON(p.Tolerations, &plain); err != nil {
			return fmt.Errorf("tolerations: %w", err)
		}
		spec.Tolerations = pulumi.ToOutput(plain).(corev1.TolerationArrayOutput)
	}
	if p.Affinity != nil {
		var plain corev1.Affinity
		if err := convertJSON(p.Affinity, &plain); err != nil {
			return fmt.Errorf("affinity: %w", err)
		}
		spec.Affinity = pulumi.ToOutput(plain).(corev1.AffinityOutput).ToAffinityPtrOutput()
	}
	if p.PriorityClassName != "" {
		spec.PriorityClassName = pulumi.String(p.PriorityClassName)
	}
	return nil
}

func convertJSON(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

// clone returns a deep copy, so defaulting never aliases the caller's slices and maps.
func (p PlacementArgs) clone() PlacementArgs {
	c := PlacementArgs{NodeSelector: maps.Clone(p.NodeSelector), PriorityClassName: p.PriorityClassName}
	for _, t := range p.Tolerations {
		c.Tolerations = append(c.Tolerations, *t.DeepCopy())
	}
	if p.Affinity != nil {
		c.Affinity = p.Affinity.DeepCopy()
	}
	return c
}
