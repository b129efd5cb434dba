package components

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8score "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
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
		// validateTolerations (k8s.io/kubernetes pkg/apis/core/validation/validation.go):
		// "effect must be 'NoExecute' when `tolerationSeconds` is set", and an Equal
		// toleration's value is compared with a taint's, so it must be a label value.
		if t.TolerationSeconds != nil && t.Effect != k8score.TaintEffectNoExecute {
			errs = append(errs, &FieldError{f + ".effect", fmt.Sprintf("%q", t.Effect), fmt.Sprintf(
				"must be \"NoExecute\" when tolerationSeconds is set (%d): only a NoExecute taint evicts, after that many seconds; drop tolerationSeconds or set effect NoExecute", *t.TolerationSeconds)})
		}
		if t.Operator != k8score.TolerationOpExists {
			if msgs := validation.IsValidLabelValue(t.Value); len(msgs) > 0 {
				errs = append(errs, &FieldError{f + ".value", fmt.Sprintf("%q", t.Value), "must be a label value (it is compared with the taint's value): " + strings.Join(msgs, "; ")})
			}
		}
	}
	if p.Affinity != nil {
		errs = append(errs, fieldErrors(validateAffinity(p.Affinity, field.NewPath(prefix, "affinity")))...)
	}
	if p.PriorityClassName != "" {
		if msgs := validation.IsDNS1123Subdomain(p.PriorityClassName); len(msgs) > 0 {
			errs = append(errs, &FieldError{prefix + ".priorityClassName", fmt.Sprintf("%q", p.PriorityClassName), "must be a PriorityClass name: " + strings.Join(msgs, "; ")})
		}
	}
	return errs
}

// validateAffinity applies the rules the API server applies to a pod's affinity
// (k8s.io/kubernetes pkg/apis/core/validation/validation.go: validateAffinity,
// validateNodeAffinity, ValidateNodeSelector, ValidateNodeSelectorRequirement,
// validateNodeFieldSelectorRequirement, ValidatePreferredSchedulingTerms,
// validatePodAffinityTerm, validateWeightedPodAffinityTerms): a required node selector has
// at least one term; a requirement's operator is In, NotIn, Exists, DoesNotExist, Gt or Lt,
// with values non-empty for In/NotIn, none for Exists/DoesNotExist and exactly one integer for
// Gt/Lt; keys are label keys and In/NotIn values label values; matchFields takes
// metadata.name with In/NotIn and one value; a preferred term's weight is 1-100; a pod
// (anti-)affinity term has a topologyKey (a label key), a valid labelSelector and
// namespaceSelector, namespaces that are namespace names, and matchLabelKeys/
// mismatchLabelKeys only beside a labelSelector. Field paths are the stack config's keys.
func validateAffinity(a *k8score.Affinity, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if na := a.NodeAffinity; na != nil {
		p := fld.Child("nodeAffinity")
		if ns := na.RequiredDuringSchedulingIgnoredDuringExecution; ns != nil {
			tp := p.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
			if len(ns.NodeSelectorTerms) == 0 {
				errs = append(errs, field.Required(tp, "must have at least one node selector term (an empty required node affinity schedules the pods nowhere)"))
			}
			for i, term := range ns.NodeSelectorTerms {
				errs = append(errs, validateNodeSelectorTerm(term, tp.Index(i))...)
			}
		}
		pp := p.Child("preferredDuringSchedulingIgnoredDuringExecution")
		for i, term := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			errs = append(errs, checkWeight(term.Weight, pp.Index(i).Child("weight"))...)
			errs = append(errs, validateNodeSelectorTerm(term.Preference, pp.Index(i).Child("preference"))...)
		}
	}
	podTerms := func(p *field.Path, required []k8score.PodAffinityTerm, preferred []k8score.WeightedPodAffinityTerm) {
		rp := p.Child("requiredDuringSchedulingIgnoredDuringExecution")
		for i, term := range required {
			errs = append(errs, validatePodAffinityTerm(term, rp.Index(i))...)
		}
		pp := p.Child("preferredDuringSchedulingIgnoredDuringExecution")
		for i, term := range preferred {
			errs = append(errs, checkWeight(term.Weight, pp.Index(i).Child("weight"))...)
			errs = append(errs, validatePodAffinityTerm(term.PodAffinityTerm, pp.Index(i).Child("podAffinityTerm"))...)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		podTerms(fld.Child("podAffinity"), pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		podTerms(fld.Child("podAntiAffinity"), pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	return errs
}

func checkWeight(w int32, p *field.Path) field.ErrorList {
	if w < 1 || w > 100 {
		return field.ErrorList{field.Invalid(p, w, "must be in the range 1-100")}
	}
	return nil
}

func validateNodeSelectorTerm(term k8score.NodeSelectorTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for j, rq := range term.MatchExpressions {
		rp := p.Child("matchExpressions").Index(j)
		switch rq.Operator {
		case k8score.NodeSelectorOpIn, k8score.NodeSelectorOpNotIn:
			if len(rq.Values) == 0 {
				errs = append(errs, field.Required(rp.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
			}
			for k, v := range rq.Values {
				for _, msg := range validation.IsValidLabelValue(v) {
					errs = append(errs, field.Invalid(rp.Child("values").Index(k), v, msg))
				}
			}
		case k8score.NodeSelectorOpExists, k8score.NodeSelectorOpDoesNotExist:
			if len(rq.Values) > 0 {
				errs = append(errs, field.Forbidden(rp.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
			}
		case k8score.NodeSelectorOpGt, k8score.NodeSelectorOpLt:
			if len(rq.Values) != 1 {
				errs = append(errs, field.Required(rp.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
			} else if _, err := strconv.ParseInt(rq.Values[0], 10, 64); err != nil {
				// The API reference: "a single element, which will be interpreted as an
				// integer"; the scheduler fails to parse anything else and never places the pod.
				errs = append(errs, field.Invalid(rp.Child("values").Index(0), rq.Values[0], "must be an integer when `operator` is 'Lt' or 'Gt'"))
			}
		default:
			errs = append(errs, field.NotSupported(rp.Child("operator"), rq.Operator, []string{"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"}))
		}
		errs = append(errs, metav1validation.ValidateLabelName(rq.Key, rp.Child("key"))...)
	}
	for j, rq := range term.MatchFields {
		rp := p.Child("matchFields").Index(j)
		if rq.Key != "metadata.name" {
			errs = append(errs, field.NotSupported(rp.Child("key"), rq.Key, []string{"metadata.name"}))
		}
		if rq.Operator != k8score.NodeSelectorOpIn && rq.Operator != k8score.NodeSelectorOpNotIn {
			errs = append(errs, field.NotSupported(rp.Child("operator"), rq.Operator, []string{"In", "NotIn"}))
		}
		if len(rq.Values) != 1 {
			errs = append(errs, field.Required(rp.Child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
		}
	}
	return errs
}

func validatePodAffinityTerm(term k8score.PodAffinityTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	var opts metav1validation.LabelSelectorValidationOptions
	errs = append(errs, metav1validation.ValidateLabelSelector(term.LabelSelector, opts, p.Child("labelSelector"))...)
	errs = append(errs, metav1validation.ValidateLabelSelector(term.NamespaceSelector, opts, p.Child("namespaceSelector"))...)
	for i, ns := range term.Namespaces {
		for _, msg := range validation.IsDNS1123Label(ns) {
			errs = append(errs, field.Invalid(p.Child("namespaces").Index(i), ns, msg))
		}
	}
	for _, keys := range []struct {
		name string
		list []string
	}{{"matchLabelKeys", term.MatchLabelKeys}, {"mismatchLabelKeys", term.MismatchLabelKeys}} {
		if len(keys.list) > 0 && term.LabelSelector == nil {
			errs = append(errs, field.Forbidden(p.Child(keys.name), "must not be specified when labelSelector is not set"))
		}
		for i, k := range keys.list {
			errs = append(errs, metav1validation.ValidateLabelName(k, p.Child(keys.name).Index(i))...)
		}
	}
	if term.TopologyKey == "" {
		errs = append(errs, field.Required(p.Child("topologyKey"), `can not be empty: name the node label that groups nodes, e.g. "kubernetes.io/hostname" or "topology.kubernetes.io/zone"`))
	} else {
		errs = append(errs, metav1validation.ValidateLabelName(term.TopologyKey, p.Child("topologyKey"))...)
	}
	return errs
}

// fieldErrors turns Kubernetes' field errors into FieldErrors (their paths are already the
// config's keys: field.NewPath(prefix, ...)).
func fieldErrors(list field.ErrorList) []error {
	var errs []error
	for _, e := range list {
		value := fmt.Sprintf("%v", e.BadValue)
		if v := reflect.ValueOf(e.BadValue); v.Kind() == reflect.String { // an operator is a named string type
			value = strconv.Quote(v.String())
		}
		if e.Type == field.ErrorTypeRequired || e.Type == field.ErrorTypeForbidden {
			value = "(" + strings.ToLower(e.Type.String()) + ")"
		}
		errs = append(errs, &FieldError{e.Field, value, e.Detail})
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
