package rules

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// RuleRWOVolumeRecreateSingleReplica guards ReadWriteOnce volumes: one writer per claim.
// A Deployment that mounts an RWO (or RWOP) PersistentVolumeClaim of the stack must use the
// Recreate strategy and at most one replica. A rolling update (or a second replica) starts
// a new pod while the old one still holds the volume: on another node it hangs in
// ContainerCreating forever; on the same node two processes share state that expects one
// writer (LiteLLM's token file, an agent's CODEX_HOME). The original system ran without
// Recreate and hit exactly this.
//
// The same holds for every other way of running pods on the claim (issue 18: the single
// writer broken from outside the Deployment): a claim mounted by two workloads has two
// writers; a StatefulSet, ReplicaSet or ReplicationController with more than one replica,
// a DaemonSet (a pod per node), a Job with parallelism > 1, a CronJob whose runs may
// overlap (concurrencyPolicy other than Forbid) or whose jobTemplate sets parallelism > 1
// (parallelism is read on every object wrapping the pod template), and a custom resource's pod template
// (whose controller's rollout the pack cannot know) each break it.
const RuleRWOVolumeRecreateSingleReplica = "rwo-volume-recreate-single-replica"

func rwoVolumeRecreateSingleReplicaPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleRWOVolumeRecreateSingleReplica, policyx.StackValidationPolicyArgs{
		Description: "One writer per ReadWriteOnce PVC of the stack: one workload mounts it, and that workload runs one pod " +
			"at a time (a Deployment: strategy Recreate and at most 1 replica).",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckRWOVolumeRecreateSingleReplica(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// CheckRWOVolumeRecreateSingleReplica returns one violation per workload that mounts an
// RWO PVC of the stack without keeping one writer, and one per claim mounted by several
// workloads.
func CheckRWOVolumeRecreateSingleReplica(s *Stack) []Violation {
	var out []Violation
	mountedBy := map[int][]StackWorkload{}
	for _, sw := range s.workloads() {
		if sw.W.Kind == "PodTemplate" {
			continue // a template runs nothing by itself
		}
		var mounted []string
		for _, p := range s.mountedPVCs(sw) {
			if isRWO(p.AccessModes) && sw.addsClaim(p) {
				mounted = append(mounted, quote(p.Key.String()))
				i := s.memo.pvcByURN[p.Res.URN]
				mountedBy[i] = append(mountedBy[i], sw)
			}
		}
		if len(mounted) == 0 {
			continue
		}
		if problems := singleWriterProblems(sw); len(problems) > 0 {
			out = append(out, Violation{URN: sw.Res.URN, Message: fmt.Sprintf(
				"%s mounts the ReadWriteOnce PVC %s, so it %s.",
				sw, strings.Join(mounted, ", "), strings.Join(problems, " and "))})
		}
	}
	pvcs := s.pvcs()
	for _, i := range slices.Sorted(maps.Keys(mountedBy)) {
		ws := mountedBy[i]
		if len(ws) < 2 {
			continue
		}
		names := make([]string, 0, len(ws))
		for _, w := range ws {
			names = append(names, w.String())
		}
		// The claim's own component's workload keeps it; the others are the extra writers.
		// Without such an owner every workload is reported.
		owner := pvcs[i].Owner
		ownerMounts := false
		for _, w := range ws {
			ownerMounts = ownerMounts || (owner != "" && w.Owner == owner)
		}
		for _, w := range ws {
			if ownerMounts && w.Owner == owner {
				continue
			}
			out = append(out, Violation{URN: w.Res.URN, Message: fmt.Sprintf(
				"the ReadWriteOnce PVC %s is mounted by %d workloads (%s); a ReadWriteOnce claim has one writer: give each workload its own claim.",
				quote(pvcs[i].Key.String()), len(ws), strings.Join(names, ", "))})
		}
	}
	return out
}

func isRWO(modes []string) bool {
	return slices.Contains(modes, "ReadWriteOnce") || slices.Contains(modes, "ReadWriteOncePod")
}

// singleWriterProblems lists why a workload may run more than one pod on its volumes at a
// time.
func singleWriterProblems(sw StackWorkload) []string {
	w := sw.W
	if w.Structural {
		return []string{fmt.Sprintf("is a %s, whose controller's rollouts and replicas the policy cannot know to keep one pod at a time; "+
			"run it as a Deployment with 1 replica and strategy Recreate", w.Kind)}
	}
	var spec struct {
		ConcurrencyPolicy string `json:"concurrencyPolicy"`
	}
	if m, ok := sw.Res.Props["spec"].(map[string]any); ok {
		decode(map[string]any{"concurrencyPolicy": m["concurrencyPolicy"]}, &spec)
	}
	var out []string
	// Parallelism under any wrapper of the pod template: a Job's spec, a CronJob's
	// jobTemplate.spec (each run then starts that many pods at once).
	if w.Parallelism != nil && *w.Parallelism > 1 {
		out = append(out, fmt.Sprintf("must run one pod at a time (%s is %d)", w.ParallelismAt, *w.Parallelism))
	}
	switch w.Kind {
	case "Deployment":
		return append(out, singleHolderProblems(w)...)
	case "StatefulSet", "ReplicaSet", "ReplicationController":
		if w.Replicas != nil && *w.Replicas > 1 {
			out = append(out, fmt.Sprintf("must run at most 1 replica (has %d)", *w.Replicas))
		}
	case "DaemonSet":
		out = append(out, "must not be a DaemonSet (it runs a pod on every node)")
	case "CronJob":
		if spec.ConcurrencyPolicy != "Forbid" {
			got := spec.ConcurrencyPolicy
			if got == "" {
				got = "unset, i.e. Allow"
			}
			out = append(out, fmt.Sprintf("must set spec.concurrencyPolicy Forbid so that runs never overlap (is %s)", got))
		}
	}
	return out
}
