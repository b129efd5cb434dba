package components

import (
	"testing"

	"github.com/stretchr/testify/require"
	k8score "k8s.io/api/core/v1"
)

func testPlacement() PlacementArgs {
	seconds := int64(60)
	return PlacementArgs{
		NodeSelector: map[string]string{"pool": "dev"},
		Tolerations: []k8score.Toleration{
			{Key: "pool", Operator: k8score.TolerationOpEqual, Value: "dev", Effect: k8score.TaintEffectNoSchedule},
			{Key: "node.kubernetes.io/unreachable", Operator: k8score.TolerationOpExists, Effect: k8score.TaintEffectNoExecute, TolerationSeconds: &seconds},
		},
		Affinity: &k8score.Affinity{NodeAffinity: &k8score.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &k8score.NodeSelector{NodeSelectorTerms: []k8score.NodeSelectorTerm{{
				MatchExpressions: []k8score.NodeSelectorRequirement{{Key: "kubernetes.io/arch", Operator: k8score.NodeSelectorOpIn, Values: []string{"amd64"}}},
			}}},
		}},
		PriorityClassName: "agents",
	}
}

// What a pod spec must carry for testPlacement, in the API's JSON form.
func requirePlacement(t *testing.T, spec any) {
	t.Helper()
	require.Equal(t, map[string]any{"pool": "dev"}, at(t, spec, "nodeSelector"))
	require.Equal(t, []any{
		map[string]any{"key": "pool", "operator": "Equal", "value": "dev", "effect": "NoSchedule"},
		map[string]any{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": float64(60)},
	}, at(t, spec, "tolerations"))
	require.Equal(t, []any{map[string]any{"key": "kubernetes.io/arch", "operator": "In", "values": []any{"amd64"}}},
		at(t, spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", 0, "matchExpressions"))
	require.Equal(t, "agents", at(t, spec, "priorityClassName"))
}

func TestAgentPlacementReachesTheDeploymentAndTheKeyJob(t *testing.T) {
	args := testAgentArgs()
	args.Placement = testPlacement()
	r := mustRunAgent(t, args)
	requirePlacement(t, at(t, r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody").Plain, "spec", "template", "spec"))
	for _, res := range r.mocks.resources() {
		if res.Type == agentJobType {
			requirePlacement(t, at(t, res.Plain, "spec", "template", "spec"))
		}
	}
	// The caller's placement is copied, not aliased.
	args.Placement.Tolerations[0].Value = "changed"
	require.Equal(t, "dev", testPlacement().Tolerations[0].Value)
}

func TestPoolPlacementReachesLiteLLMAndItsDatabase(t *testing.T) {
	args := authPoolDevArgs()
	args.Placement = testPlacement()
	r := mustRunAuthPool(t, args)
	requirePlacement(t, at(t, r.k8s(t, authPoolDeployType, "litellm").Plain, "spec", "template", "spec"))
	requirePlacement(t, at(t, r.k8s(t, authPoolStsType, "litellm-postgres").Plain, "spec", "template", "spec"))
}

func TestNoPlacementSetsNothing(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	spec := at(t, r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody").Plain, "spec", "template", "spec").(map[string]any)
	for _, k := range []string{"nodeSelector", "tolerations", "affinity", "priorityClassName"} {
		require.NotContains(t, spec, k)
	}
}

func TestPlacementIsChecked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     PlacementArgs
		field string
	}{
		{"operator", PlacementArgs{Tolerations: []k8score.Toleration{{Key: "pool", Operator: "In"}}}, "placement.tolerations[0].operator"},
		{"effect", PlacementArgs{Tolerations: []k8score.Toleration{{Key: "pool", Effect: "NoRun"}}}, "placement.tolerations[0].effect"},
		{"exists with value", PlacementArgs{Tolerations: []k8score.Toleration{{Key: "pool", Operator: "Exists", Value: "dev"}}}, "placement.tolerations[0].value"},
		{"empty key needs exists", PlacementArgs{Tolerations: []k8score.Toleration{{Value: "dev"}}}, "placement.tolerations[0].key"},
		{"node selector key", PlacementArgs{NodeSelector: map[string]string{"bad key": "x"}}, `placement.nodeSelector["bad key"]`},
		{"dotted node selector key stays one key", PlacementArgs{NodeSelector: map[string]string{"kubernetes.io/arch": "not a value"}}, `placement.nodeSelector["kubernetes.io/arch"]`},
		{"priority class", PlacementArgs{PriorityClassName: "Not_A_Name"}, "placement.priorityClassName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := testAgentArgs()
			args.Placement = tc.p
			err := args.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.field+":")
		})
	}
	require.Empty(t, testPlacement().validate("placement"))
}
