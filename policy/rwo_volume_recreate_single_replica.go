package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// RuleRWOVolumeRecreateSingleReplica guards ReadWriteOnce volumes: a Deployment that mounts
// an RWO (or RWOP) PersistentVolumeClaim of the stack must use the Recreate strategy and at
// most one replica. A rolling update (or a second replica) starts a new pod while the old
// one still holds the volume: on another node it hangs in ContainerCreating forever; on the
// same node two processes share state that expects one writer (LiteLLM's token file, an
// agent's CODEX_HOME). The original system ran without Recreate and hit exactly this.
const RuleRWOVolumeRecreateSingleReplica = "rwo-volume-recreate-single-replica"

func rwoVolumeRecreateSingleReplicaPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleRWOVolumeRecreateSingleReplica, policyx.StackValidationPolicyArgs{
		Description:      "A Deployment mounting a ReadWriteOnce PVC of the stack uses strategy Recreate and at most 1 replica.",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckRWOVolumeRecreateSingleReplica(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// CheckRWOVolumeRecreateSingleReplica returns one violation per Deployment that mounts an
// RWO PVC of the stack without Recreate and at most one replica.
func CheckRWOVolumeRecreateSingleReplica(s *Stack) []Violation {
	var out []Violation
	for _, sw := range s.workloads() {
		if sw.W.Kind != "Deployment" {
			continue
		}
		var mounted []string
		for _, p := range s.mountedPVCs(sw) {
			if slices.Contains(p.AccessModes, "ReadWriteOnce") || slices.Contains(p.AccessModes, "ReadWriteOncePod") {
				mounted = append(mounted, quote(p.Key.String()))
			}
		}
		if len(mounted) == 0 {
			continue
		}
		if problems := singleHolderProblems(sw.W); len(problems) > 0 {
			out = append(out, Violation{URN: sw.Res.URN, Message: fmt.Sprintf(
				"%s mounts the ReadWriteOnce PVC %s, so it %s.",
				sw, strings.Join(mounted, ", "), strings.Join(problems, " and "))})
		}
	}
	return out
}
