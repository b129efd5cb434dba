package rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// RuleSingleWriterNotScaledFromOutside guards the single writer from the outside (issue
// 18): the auth pool's holder and every workload that mounts a ReadWriteOnce claim of the
// stack run one pod at a time (one-auth-holder, rwo-volume-recreate-single-replica), but
// other objects can change their replica count or their pods without editing them:
//
//   - a HorizontalPodAutoscaler, or any object with a spec.scaleTargetRef (KEDA's
//     ScaledObject and the like), that may scale it above one replica;
//   - an object whose spec.workloadRef names it (an Argo Rollout runs a Deployment's pod
//     template under its own replicas and canary/blue-green steps: two pods at once);
//   - a patch resource (DeploymentPatch, StatefulSetPatch, ...) of the same object that
//     sets more than one replica or another strategy, or changes its pod template at all
//     (a container added there shares the single writer's volumes, outside the component
//     that declares it; patches.go merges it into its target for the other rules);
//   - another workload whose labels its selector matches: the Deployment adopts such a
//     ReplicaSet, a ReplicaSet such a Pod, and either then runs next to its own pods;
//   - a VerticalPodAutoscaler (spec.targetRef) that evicts its pods by itself (updateMode
//     Auto, Recreate or InPlaceOrRecreate; Auto is the default): the ReplicaSet starts the
//     replacement while the evicted pod still terminates, and on the same node a
//     ReadWriteOnce claim lets both mount it;
//   - a workload whose commands (or mounted scripts) run `kubectl scale` or `kubectl
//     autoscale` of it above one replica;
//   - a RoleBinding or ClusterRoleBinding of the stack that grants a subject scale, update
//     or patch of Deployments (StatefulSets, ReplicaSets) where it runs (rbac.go).
//
// A PodDisruptionBudget never starts a pod (it only refuses voluntary evictions), so it is
// not one of them.
// Each is reported on the object that does it, naming the single writer it breaks.
const RuleSingleWriterNotScaledFromOutside = "single-writer-not-scaled-from-outside"

func singleWriterNotScaledFromOutsidePolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleSingleWriterNotScaledFromOutside, policyx.StackValidationPolicyArgs{
		Description: "No autoscaler, scale target, workloadRef, patch or label-matching workload runs a second pod of the " +
			"auth pool's holder or of a workload that mounts a ReadWriteOnce PVC.",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckSingleWriterNotScaledFromOutside(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// singleWriters returns the workloads that must run one pod at a time: the auth holders
// and the workloads that mount an RWO claim of the stack.
func (s *Stack) singleWriters() []StackWorkload {
	var out []StackWorkload
	seen := map[*Resource]bool{}
	for _, sw := range s.authHolders() {
		if !seen[sw.Res] {
			seen[sw.Res] = true
			out = append(out, sw)
		}
	}
	for _, sw := range s.workloads() {
		if seen[sw.Res] || sw.W.Kind == "PodTemplate" || sw.isPatchView() {
			continue
		}
		for _, p := range s.mountedPVCs(sw) {
			if isRWO(p.AccessModes) {
				seen[sw.Res] = true
				out = append(out, sw)
				break
			}
		}
	}
	return out
}

// objectRef is a reference to an object by kind and name (scaleTargetRef, workloadRef).
type objectRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (r *objectRef) targets(sw StackWorkload, ns string) bool {
	kind := r.Kind
	if kind == "" {
		kind = "Deployment" // KEDA's default scale target
	}
	return r.Name != "" && r.Name == sw.W.Meta.Name && kind == sw.W.Kind && sameNamespace(ns, sw.W.Meta.Namespace)
}

// CheckSingleWriterNotScaledFromOutside returns one violation per object that may run a
// second pod of a single writer.
func CheckSingleWriterNotScaledFromOutside(s *Stack) []Violation {
	writers := s.singleWriters()
	if len(writers) == 0 {
		return nil
	}
	// The workloads of each resource, from the shared view (decoded once per stack).
	byRes := map[*Resource][]Workload{}
	for _, sw := range s.workloads() {
		byRes[sw.Res] = append(byRes[sw.Res], sw.W)
	}
	var out []Violation
	for _, r := range s.Resources {
		t, ok := parseKubeType(r.Type)
		if !ok || notPodBearingKinds[t.Name()] && t.Name() != "HorizontalPodAutoscaler" {
			continue
		}
		// Only the fields read here are decoded (not the whole spec: a pod template is large).
		var spec struct {
			ScaleTargetRef *objectRef `json:"scaleTargetRef"`
			WorkloadRef    *objectRef `json:"workloadRef"`
			TargetRef      *objectRef `json:"targetRef"`
			UpdatePolicy   *struct {
				UpdateMode string `json:"updateMode"`
			} `json:"updatePolicy"`
			MaxReplicas     *int `json:"maxReplicas"`
			MaxReplicaCount *int `json:"maxReplicaCount"`
			Replicas        *int `json:"replicas"`
			Strategy        *struct {
				Type string `json:"type"`
			} `json:"strategy"`
		}
		if m, ok := r.Props["spec"].(map[string]any); ok {
			part := map[string]any{}
			for _, k := range []string{"scaleTargetRef", "workloadRef", "targetRef", "updatePolicy", "maxReplicas", "maxReplicaCount", "replicas", "strategy"} {
				if v, ok := m[k]; ok {
					part[k] = v
				}
			}
			if len(part) > 0 {
				decode(part, &spec)
			}
		}
		meta := s.metaOf(r)
		var problems []string
		for _, sw := range writers {
			if sw.Res == r {
				continue
			}
			if ref := spec.ScaleTargetRef; ref != nil && ref.targets(sw, meta.Namespace) {
				max := spec.MaxReplicas
				if t.Kind != "HorizontalPodAutoscaler" {
					max = spec.MaxReplicaCount
				}
				if max == nil || *max > 1 {
					limit := "no maximum of 1"
					if max != nil {
						limit = fmt.Sprintf("a maximum of %d", *max)
					}
					problems = append(problems, fmt.Sprintf("scales %s (spec.scaleTargetRef) with %s replicas", sw, limit))
				}
			}
			if ref := spec.WorkloadRef; ref != nil && ref.targets(sw, meta.Namespace) {
				problems = append(problems, fmt.Sprintf("runs the pod template of %s (spec.workloadRef) under its own replicas and rollout steps", sw))
			}
			if ref := spec.TargetRef; ref != nil && t.Kind == "VerticalPodAutoscaler" && ref.targets(sw, meta.Namespace) {
				mode := "Auto"
				if spec.UpdatePolicy != nil && spec.UpdatePolicy.UpdateMode != "" {
					mode = spec.UpdatePolicy.UpdateMode
				}
				if mode != "Off" && mode != "Initial" {
					problems = append(problems, fmt.Sprintf("evicts the pods of %s (updateMode %s), and its replacement starts while the evicted pod terminates; use updateMode Off or Initial", sw, mode))
				}
			}
			if t.Patch && t.Name() == sw.W.Kind && meta.Name == sw.W.Meta.Name && sameNamespace(meta.Namespace, sw.W.Meta.Namespace) {
				if spec.Replicas != nil && *spec.Replicas > 1 {
					problems = append(problems, fmt.Sprintf("patches %s to %d replicas", sw, *spec.Replicas))
				}
				if st := spec.Strategy; st != nil && st.Type != "" && st.Type != "Recreate" && t.Kind == "Deployment" {
					problems = append(problems, fmt.Sprintf("patches %s to strategy %s", sw, st.Type))
				}
				if touchesPodTemplate(r, t) {
					problems = append(problems, fmt.Sprintf("patches the pod template of %s, a pod changed outside its component "+
						"(a container added there shares its ReadWriteOnce or auth volume); change the workload itself", sw))
				}
			}
			if problem := adoptedBy(t, byRes[r], sw); problem != "" {
				problems = append(problems, problem)
			}
		}
		if len(problems) > 0 {
			out = append(out, Violation{URN: r.URN, Message: fmt.Sprintf(
				"%s %s breaks a single writer (one pod at a time on its ReadWriteOnce or auth volume): it %s.",
				t.Kind, quote(meta.Name), strings.Join(problems, "; it "))})
		}
	}
	// What workloads run: kubectl scale/autoscale of a single writer.
	for _, sw := range s.workloads() {
		var problems []string
		for _, c := range sw.W.Pod.AllContainers() {
			env := s.resolvedEnv(sw.W.Meta.Namespace, c.C)
			for _, run := range s.containerScripts(sw, c.C, env) {
				for _, k := range s.factsOf(run.Text).kubectl {
					if k.Verb != "scale" && k.Verb != "autoscale" || (k.Replicas >= 0 && k.Replicas <= 1) {
						continue
					}
					for _, w := range writers {
						if w.Res == sw.Res || (k.Namespace != "" && !sameNamespace(k.Namespace, w.W.Meta.Namespace)) {
							continue
						}
						for _, target := range k.Targets {
							if kubectlNames(target, w.W.Kind, w.W.Meta.Name) {
								n := "more than 1"
								if k.Replicas > 1 {
									n = fmt.Sprint(k.Replicas)
								}
								problems = append(problems, fmt.Sprintf("%s %s runs `kubectl %s %s` to %s replicas of %s", c, run.Where, k.Verb, target, n, w))
							}
						}
					}
				}
			}
		}
		if len(problems) > 0 {
			out = append(out, Violation{URN: sw.Res.URN, Message: fmt.Sprintf(
				"%s breaks a single writer (one pod at a time on its ReadWriteOnce or auth volume):\n  - %s",
				sw, strings.Join(problems, "\n  - "))})
		}
	}
	return append(out, s.rbacViolations(rbacScaleWriter)...)
}

// adoptedBy says whether a resource's workloads (not a patch's, not a template's) carry
// labels the single writer's selector matches, so that its controller adopts them.
func adoptedBy(t KubeType, ws []Workload, sw StackWorkload) string {
	if len(sw.W.Selector) == 0 || t.Patch {
		return ""
	}
	for _, w := range ws {
		if w.Kind == "PodTemplate" || !sameNamespace(w.Meta.Namespace, sw.W.Meta.Namespace) {
			continue
		}
		if selects(sw.W.Selector, w.Meta.Labels) || selects(sw.W.Selector, w.PodLabels) {
			return fmt.Sprintf("carries labels that the selector of %s matches, so its pods run next to that workload's own", sw)
		}
	}
	return ""
}
