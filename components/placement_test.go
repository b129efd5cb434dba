package components

import (
	"testing"

	"github.com/stretchr/testify/require"
	k8score "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
		{"tolerationSeconds without NoExecute", PlacementArgs{Tolerations: []k8score.Toleration{{Key: "pool", Operator: "Exists", Effect: "NoSchedule", TolerationSeconds: ptr(int64(60))}}}, "placement.tolerations[0].effect"},
		{"tolerationSeconds with every effect", PlacementArgs{Tolerations: []k8score.Toleration{{Key: "pool", Operator: "Exists", TolerationSeconds: ptr(int64(60))}}}, "placement.tolerations[0].effect"},
		{"Equal value not a label value", PlacementArgs{Tolerations: []k8score.Toleration{{Key: "pool", Value: "dev pool"}}}, "placement.tolerations[0].value"},
		{"required node affinity without terms", PlacementArgs{Affinity: &k8score.Affinity{NodeAffinity: &k8score.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &k8score.NodeSelector{}}}}, "placement.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"},
		{"node selector operator", nodeTerm(k8score.NodeSelectorRequirement{Key: "pool", Operator: "Equals", Values: []string{"dev"}}),
			"placement.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"},
		{"In without values", nodeTerm(k8score.NodeSelectorRequirement{Key: "pool", Operator: "In"}),
			"nodeSelectorTerms[0].matchExpressions[0].values"},
		{"Exists with values", nodeTerm(k8score.NodeSelectorRequirement{Key: "pool", Operator: "Exists", Values: []string{"dev"}}),
			"nodeSelectorTerms[0].matchExpressions[0].values"},
		{"Gt with two values", nodeTerm(k8score.NodeSelectorRequirement{Key: "cpus", Operator: "Gt", Values: []string{"1", "2"}}),
			"nodeSelectorTerms[0].matchExpressions[0].values"},
		{"Lt not an integer", nodeTerm(k8score.NodeSelectorRequirement{Key: "cpus", Operator: "Lt", Values: []string{"four"}}),
			"nodeSelectorTerms[0].matchExpressions[0].values[0]"},
		{"requirement key", nodeTerm(k8score.NodeSelectorRequirement{Key: "bad key", Operator: "Exists"}),
			"nodeSelectorTerms[0].matchExpressions[0].key"},
		{"requirement value", nodeTerm(k8score.NodeSelectorRequirement{Key: "pool", Operator: "In", Values: []string{"dev pool"}}),
			"nodeSelectorTerms[0].matchExpressions[0].values[0]"},
		{"matchFields key", PlacementArgs{Affinity: &k8score.Affinity{NodeAffinity: &k8score.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &k8score.NodeSelector{
			NodeSelectorTerms: []k8score.NodeSelectorTerm{{MatchFields: []k8score.NodeSelectorRequirement{{Key: "metadata.labels", Operator: "In", Values: []string{"x"}}}}}}}}},
			"nodeSelectorTerms[0].matchFields[0].key"},
		{"preferred node weight", PlacementArgs{Affinity: &k8score.Affinity{NodeAffinity: &k8score.NodeAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []k8score.PreferredSchedulingTerm{{Weight: 0, Preference: k8score.NodeSelectorTerm{}}}}}},
			"placement.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight"},
		{"required pod anti-affinity without topologyKey", PlacementArgs{Affinity: &k8score.Affinity{PodAntiAffinity: &k8score.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []k8score.PodAffinityTerm{{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}}}}}},
			"placement.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"},
		{"preferred pod affinity weight", PlacementArgs{Affinity: &k8score.Affinity{PodAffinity: &k8score.PodAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []k8score.WeightedPodAffinityTerm{{Weight: 101, PodAffinityTerm: k8score.PodAffinityTerm{TopologyKey: "kubernetes.io/hostname"}}}}}},
			"placement.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight"},
		{"pod affinity selector operator", PlacementArgs{Affinity: &k8score.Affinity{PodAffinity: &k8score.PodAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []k8score.PodAffinityTerm{{TopologyKey: "kubernetes.io/hostname",
				LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Gt", Values: []string{"1"}}}}}}}}},
			"placement.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator"},
		{"pod affinity namespace", PlacementArgs{Affinity: &k8score.Affinity{PodAffinity: &k8score.PodAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []k8score.PodAffinityTerm{{TopologyKey: "kubernetes.io/hostname", Namespaces: []string{"Not_A_Namespace"}}}}}},
			"placement.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespaces[0]"},
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

	// What Kubernetes accepts passes.
	ok := PlacementArgs{
		Tolerations: []k8score.Toleration{{Key: "node.kubernetes.io/unreachable", Operator: "Exists", Effect: "NoExecute", TolerationSeconds: ptr(int64(30))},
			{Key: "pool", Value: "dev", Effect: "NoSchedule"}, {Operator: "Exists"}},
		Affinity: &k8score.Affinity{
			NodeAffinity: &k8score.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &k8score.NodeSelector{NodeSelectorTerms: []k8score.NodeSelectorTerm{{
					MatchExpressions: []k8score.NodeSelectorRequirement{{Key: "kubernetes.io/arch", Operator: "In", Values: []string{"amd64", "arm64"}},
						{Key: "cpus", Operator: "Gt", Values: []string{"3"}}, {Key: "spot", Operator: "DoesNotExist"}},
					MatchFields: []k8score.NodeSelectorRequirement{{Key: "metadata.name", Operator: "NotIn", Values: []string{"node-1"}}},
				}}},
				PreferredDuringSchedulingIgnoredDuringExecution: []k8score.PreferredSchedulingTerm{{Weight: 100, Preference: k8score.NodeSelectorTerm{
					MatchExpressions: []k8score.NodeSelectorRequirement{{Key: "pool", Operator: "In", Values: []string{"dev"}}}}}},
			},
			PodAntiAffinity: &k8score.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []k8score.WeightedPodAffinityTerm{{Weight: 1,
				PodAffinityTerm: k8score.PodAffinityTerm{TopologyKey: "topology.kubernetes.io/zone", Namespaces: []string{"cloud-codex"},
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/component": "agent"}}, MatchLabelKeys: []string{"pod-template-hash"}}}}},
		},
	}
	require.Empty(t, ok.validate("placement"))

	// The error names the config key, the value and Kubernetes' own reason.
	errs := nodeTerm(k8score.NodeSelectorRequirement{Key: "pool", Operator: "Equals", Values: []string{"dev"}}).validate("placement")
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], `placement.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: invalid value "Equals": supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"`)
}

func nodeTerm(rq k8score.NodeSelectorRequirement) PlacementArgs {
	return PlacementArgs{Affinity: &k8score.Affinity{NodeAffinity: &k8score.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &k8score.NodeSelector{
		NodeSelectorTerms: []k8score.NodeSelectorTerm{{MatchExpressions: []k8score.NodeSelectorRequirement{rq}}}}}}}
}

func ptr[T any](v T) *T { return &v }
