package rules

import "testing"

// selector sets a Deployment's spec.selector.matchLabels.
func selector(labels map[string]any) func(map[string]any) {
	return func(p map[string]any) {
		p["spec"].(map[string]any)["selector"] = map[string]any{"matchLabels": labels}
	}
}

func TestSingleWriterNotScaledFromOutside(t *testing.T) {
	hpaURN := "urn:pulumi:dev::cloud-codex::kubernetes:autoscaling/v2:HorizontalPodAutoscaler::hpa"
	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  map[string][]string
	}{
		{"dev stack", func(t *testing.T) *Stack { return devStack(t) }, nil},
		{"an HPA on the pool's holder", func(t *testing.T) *Stack {
			return devStack(t, res(t, hpaURN, "", `
metadata: {name: hpa, namespace: cloud-codex}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: litellm}, minReplicas: 1, maxReplicas: 3}
`))
		}, map[string][]string{hpaURN: {`HorizontalPodAutoscaler "hpa" breaks a single writer`, `scales Deployment "litellm" (resource litellm-deployment) (spec.scaleTargetRef) with a maximum of 3 replicas`}}},
		{"an HPA capped at one replica is harmless", func(t *testing.T) *Stack {
			return devStack(t, res(t, hpaURN, "", `
metadata: {name: hpa, namespace: cloud-codex}
spec: {scaleTargetRef: {kind: Deployment, name: alice}, maxReplicas: 1}
`))
		}, nil},
		{"a KEDA ScaledObject on an agent", func(t *testing.T) *Stack {
			return devStack(t, res(t, "urn:pulumi:dev::cloud-codex::kubernetes:keda.sh/v1alpha1:ScaledObject::so", "", `
metadata: {name: so, namespace: cloud-codex}
spec: {scaleTargetRef: {name: alice}, triggers: [{type: cron}]}
`))
		}, map[string][]string{"urn:pulumi:dev::cloud-codex::kubernetes:keda.sh/v1alpha1:ScaledObject::so": {"with no maximum of 1 replicas", `Deployment "alice"`}}},
		{"an Argo Rollout that takes over an agent's Deployment", func(t *testing.T) *Stack {
			return devStack(t, res(t, "urn:pulumi:dev::cloud-codex::kubernetes:argoproj.io/v1alpha1:Rollout::r", "", `
metadata: {name: r, namespace: cloud-codex}
spec: {replicas: 2, workloadRef: {apiVersion: apps/v1, kind: Deployment, name: bob}, strategy: {canary: {}}}
`))
		}, map[string][]string{"urn:pulumi:dev::cloud-codex::kubernetes:argoproj.io/v1alpha1:Rollout::r": {`runs the pod template of Deployment "bob" (spec.workloadRef)`}}},
		{"a DeploymentPatch that scales the holder", func(t *testing.T) *Stack {
			return devStack(t, res(t, "urn:pulumi:dev::cloud-codex::kubernetes:apps/v1:DeploymentPatch::scale", "", `
metadata: {name: litellm, namespace: cloud-codex}
spec: {replicas: 2, strategy: {type: RollingUpdate}}
`))
		}, map[string][]string{"urn:pulumi:dev::cloud-codex::kubernetes:apps/v1:DeploymentPatch::scale": {
			`patches Deployment "litellm" (resource litellm-deployment) to 2 replicas`, `patches Deployment "litellm" (resource litellm-deployment) to strategy RollingUpdate`}}},
		{"a DeploymentPatch that only adds an annotation", func(t *testing.T) *Stack {
			return devStack(t, res(t, "urn:pulumi:dev::cloud-codex::kubernetes:apps/v1:DeploymentPatch::note", "", `
metadata: {name: litellm, namespace: cloud-codex, annotations: {team: auth}}
`))
		}, nil},
		{"a VPA that evicts the holder", func(t *testing.T) *Stack {
			return devStack(t, res(t, "urn:pulumi:dev::cloud-codex::kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler::vpa", "", `
metadata: {name: vpa, namespace: cloud-codex}
spec: {targetRef: {apiVersion: apps/v1, kind: Deployment, name: litellm}}
`))
		}, map[string][]string{"urn:pulumi:dev::cloud-codex::kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler::vpa": {`evicts the pods of Deployment "litellm" (resource litellm-deployment) (updateMode Auto)`}}},
		{"a VPA that only recommends", func(t *testing.T) *Stack {
			return devStack(t, res(t, "urn:pulumi:dev::cloud-codex::kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler::vpa", "", `
metadata: {name: vpa, namespace: cloud-codex}
spec: {targetRef: {kind: Deployment, name: litellm}, updatePolicy: {updateMode: "Off"}}
`))
		}, nil},
		{"a PodDisruptionBudget starts no pod", func(t *testing.T) *Stack {
			return devStack(t, res(t, "urn:pulumi:dev::cloud-codex::kubernetes:policy/v1:PodDisruptionBudget::pdb", "", `
metadata: {name: pdb, namespace: cloud-codex}
spec: {maxUnavailable: 0, selector: {matchLabels: {app: litellm}}}
`))
		}, nil},
		{"a bare ReplicaSet the holder's selector adopts", func(t *testing.T) *Stack {
			s := mutate(t, devStack(t), poolDeployURN, selector(map[string]any{"app": "litellm"}))
			rs := workloadRes(t, "ReplicaSet", "extra", nil, "", `containers: [{name: a, image: busybox}]`)
			rs.Props["spec"].(map[string]any)["template"].(map[string]any)["metadata"] = map[string]any{"labels": map[string]any{"app": "litellm", "tier": "x"}}
			return NewStack(append(s.Resources, rs))
		}, map[string][]string{childURN(nil, "kubernetes:apps/v1:ReplicaSet", "extra"): {`carries labels that the selector of Deployment "litellm" (resource litellm-deployment) matches`}}},
		{"a workload with other labels is not adopted", func(t *testing.T) *Stack {
			s := mutate(t, devStack(t), poolDeployURN, selector(map[string]any{"app": "litellm"}))
			return NewStack(append(s.Resources, workloadRes(t, "Pod", "other", nil, "", `containers: [{name: a, image: busybox}]`)))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckSingleWriterNotScaledFromOutside(tc.stack(t)), tc.want)
		})
	}
}
