package rules

import (
	"testing"

	"cloud-codex/contract"
)

var (
	poolChain      = []string{contract.LiteLLMAuthPoolType}
	poolDeployURN  = childURN(poolChain, kubeDeploy, "litellm-deployment")
	poolPVCURN     = childURN(poolChain, kubePVC, authPVCName)
	agentChain     = []string{contract.CloudCodexAgentType}
	aliceDeployURN = childURN(agentChain, kubeDeploy, "alice")
	bobDeployURN   = childURN(agentChain, kubeDeploy, "bob")
)

// mutate returns the stack with the resource u's properties changed by f (on a copy).
func mutate(t *testing.T, s *Stack, u string, f func(props map[string]any)) *Stack {
	t.Helper()
	r := s.Get(u)
	if r == nil {
		t.Fatalf("no resource %s", u)
	}
	c := &Resource{URN: r.URN, Type: r.Type, Parent: r.Parent, Dependencies: r.Dependencies, Props: yamlMap(t, mustJSON(t, r.Props))}
	f(c.Props)
	return replaceRes(s, u, c)
}

// podSpecOf returns the pod spec map of a Deployment's props.
func podSpecOf(props map[string]any) map[string]any {
	v, _ := lookup(props, "spec", "template", "spec")
	return v.(map[string]any)
}

func TestOneAuthHolder(t *testing.T) {
	holderThief := workloadRes(t, "Job", "copy-tokens", nil, "", `
containers:
- {name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}
volumes:
- {name: v, persistentVolumeClaim: {claimName: litellm-chatgpt-auth}}
`)
	secondPoolHolder := workloadRes(t, "Deployment", "device-auth", poolChain, poolURN, `
containers:
- {name: app, image: node, volumeMounts: [{name: v, mountPath: /auth}]}
volumes:
- {name: v, persistentVolumeClaim: {claimName: litellm-chatgpt-auth}}
`, recreate)

	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  map[string][]string
	}{
		{"dev stack", func(t *testing.T) *Stack { return devStack(t) }, nil},
		{"replicas 0 parks the pool", func(t *testing.T) *Stack { return mutate(t, devStack(t), poolDeployURN, replicas(0)) }, nil},
		{"pool without Recreate", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), poolDeployURN, func(p map[string]any) { delete(p["spec"].(map[string]any), "strategy") })
		}, map[string][]string{poolDeployURN: {`must use spec.strategy.type Recreate (is unset, i.e. RollingUpdate)`}}},
		{"pool RollingUpdate with 2 replicas", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), poolDeployURN, func(p map[string]any) {
				p["spec"].(map[string]any)["strategy"] = map[string]any{"type": "RollingUpdate"}
				replicas(2)(p)
			})
		}, map[string][]string{poolDeployURN: {"must run at most 1 replica (has 2)", "(is RollingUpdate)"}}},
		{"a second holder outside the pool", func(t *testing.T) *Stack { return devStack(t, holderThief) },
			map[string][]string{
				poolDeployURN:   {`the auth PVC "cloud-codex/litellm-chatgpt-auth" is mounted by 2 workloads`},
				holderThief.URN: {"mounted by 2 workloads", `Job "copy-tokens"`, "must be a Deployment"},
			}},
		{"a second holder inside the pool", func(t *testing.T) *Stack { return devStack(t, secondPoolHolder) },
			map[string][]string{
				poolDeployURN:        {"is mounted by 2 workloads"},
				secondPoolHolder.URN: {"is mounted by 2 workloads"},
			}},
		{"pool keeps its credentials on an emptyDir", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), poolDeployURN, func(p map[string]any) {
				podSpecOf(p)["volumes"].([]any)[0] = map[string]any{"name": "auth", "emptyDir": map[string]any{}}
			})
		}, map[string][]string{poolURN: {`LiteLLMAuthPool "litellm" has no PersistentVolumeClaim child mounted by its workload`}}},
		{"pool mounts a PVC from outside the pool", func(t *testing.T) *Stack {
			s := replaceRes(devStack(t), poolPVCURN, pvcRes(t, nil, "", authPVCName, "ReadWriteOnce"))
			return s
		}, map[string][]string{poolURN: {"has no PersistentVolumeClaim child"}}},
		{"pool as a StatefulSet", func(t *testing.T) *Stack {
			var pod map[string]any
			for _, r := range poolResources(t) {
				if r.URN == poolDeployURN {
					pod = podSpecOf(r.Props)
				}
			}
			sts := workloadRes(t, "StatefulSet", "litellm", poolChain, poolURN, mustJSON(t, pod))
			return replaceRes(devStack(t), poolDeployURN, sts)
		}, map[string][]string{childURN(poolChain, kindTypes["StatefulSet"], "litellm"): {"must be a Deployment (with 1 replica and strategy Recreate), not a StatefulSet"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckOneAuthHolder(tc.stack(t)), tc.want)
		})
	}
}

func TestRWOVolumeRecreateSingleReplica(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  map[string][]string
	}{
		{"dev stack", func(t *testing.T) *Stack { return devStack(t) }, nil},
		{"agent with a rolling update", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, func(p map[string]any) { delete(p["spec"].(map[string]any), "strategy") })
		}, map[string][]string{aliceDeployURN: {`Deployment "alice" mounts the ReadWriteOnce PVC "cloud-codex/alice-home"`, "Recreate"}}},
		{"agent with 3 replicas", func(t *testing.T) *Stack { return mutate(t, devStack(t), bobDeployURN, replicas(3)) },
			map[string][]string{bobDeployURN: {"must run at most 1 replica (has 3)"}}},
		{"pool with 2 replicas", func(t *testing.T) *Stack { return mutate(t, devStack(t), poolDeployURN, replicas(2)) },
			map[string][]string{poolDeployURN: {`ReadWriteOnce PVC "cloud-codex/litellm-chatgpt-auth"`}}},
		{"ReadWriteOncePod counts", func(t *testing.T) *Stack {
			s := replaceRes(devStack(t), childURN(agentChain, kubePVC, "alice-home"), pvcRes(t, agentChain, agentURN("alice"), "alice-home", "ReadWriteOncePod"))
			return mutate(t, s, aliceDeployURN, replicas(2))
		}, map[string][]string{aliceDeployURN: {"has 2"}}},
		{"ReadWriteMany may roll", func(t *testing.T) *Stack {
			s := replaceRes(devStack(t), childURN(agentChain, kubePVC, "alice-home"), pvcRes(t, agentChain, agentURN("alice"), "alice-home", "ReadWriteMany"))
			return mutate(t, s, aliceDeployURN, func(p map[string]any) { delete(p["spec"].(map[string]any), "strategy"); replicas(2)(p) })
		}, nil},
		{"a PVC the stack does not declare is not judged", func(t *testing.T) *Stack {
			w := workloadRes(t, "Deployment", "web", nil, "", `
containers: [{name: app, image: nginx, volumeMounts: [{name: v, mountPath: /data}]}]
volumes: [{name: v, persistentVolumeClaim: {claimName: external}}]
`, replicas(3))
			return devStack(t, w)
		}, nil},
		{"a workload mounting an agent's PVC", func(t *testing.T) *Stack {
			w := workloadRes(t, "Deployment", "inspect", nil, "", `
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}]
volumes: [{name: v, persistentVolumeClaim: {claimName: alice-home}}]
`)
			return devStack(t, w)
		}, map[string][]string{childURN(nil, kubeDeploy, "inspect"): {`mounts the ReadWriteOnce PVC "cloud-codex/alice-home"`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckRWOVolumeRecreateSingleReplica(tc.stack(t)), tc.want)
		})
	}
}

func TestStackWorkloadString(t *testing.T) {
	w := workloadRes(t, "Deployment", "litellm", nil, "", "containers: [{name: a, image: b}]")
	w.URN = childURN(nil, kubeDeploy, "litellm-copy")
	sw := StackWorkload{Res: w}
	sw.W, _ = WorkloadOf(w)
	if got := sw.String(); got != `Deployment "litellm" (resource litellm-copy)` {
		t.Fatalf("String() = %s", got)
	}
}

func TestOneAuthHolder_PoolShape(t *testing.T) {
	secondPool := "urn:pulumi:dev::cloud-codex::" + contract.LiteLLMAuthPoolType + "::pool-b"
	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  map[string][]string
	}{
		{"two pools in one stack", func(t *testing.T) *Stack {
			chain := []string{contract.LiteLLMAuthPoolType}
			return devStack(t,
				component(contract.LiteLLMAuthPoolType, "pool-b"),
				pvcRes(t, chain, secondPool, "b-chatgpt-auth", "ReadWriteOnce"),
				workloadRes(t, "Deployment", "b", chain, secondPool, claimPod("b-chatgpt-auth"), recreate))
		}, map[string][]string{
			poolURN:    {`this stack declares 2 LiteLLMAuthPools ("litellm", "pool-b"); it may have one`},
			secondPool: {"declares 2 LiteLLMAuthPools"},
		}},
		{"an auth claim shared by many pods", func(t *testing.T) *Stack {
			return replaceRes(devStack(t), childURN(poolChain, kubePVC, authPVCName), pvcRes(t, poolChain, poolURN, authPVCName, "ReadWriteMany"))
		}, map[string][]string{childURN(poolChain, kubePVC, authPVCName): {"has access modes ReadWriteMany; it must be ReadWriteOnce or ReadWriteOncePod"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckOneAuthHolder(tc.stack(t)), tc.want)
		})
	}
}

func TestRWOVolume_EveryKindAndSharedClaims(t *testing.T) {
	mount := `
containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /data}]}]
volumes: [{name: v, persistentVolumeClaim: {claimName: scratch}}]
`
	scratch := func(t *testing.T) *Resource { return pvcRes(t, nil, "", "scratch", "ReadWriteOnce") }
	for _, tc := range []struct {
		name string
		w    func(t *testing.T) []*Resource
		want map[string][]string
	}{
		{"a Pod and a Job with one pod are fine", func(t *testing.T) []*Resource {
			return []*Resource{scratch(t), workloadRes(t, "Job", "once", nil, "", mount)}
		}, nil},
		{"a DaemonSet", func(t *testing.T) []*Resource {
			return []*Resource{scratch(t), workloadRes(t, "DaemonSet", "ds", nil, "", mount)}
		}, map[string][]string{childURN(nil, "kubernetes:apps/v1:DaemonSet", "ds"): {"must not be a DaemonSet"}}},
		{"a StatefulSet with 3 replicas", func(t *testing.T) []*Resource {
			return []*Resource{scratch(t), workloadRes(t, "StatefulSet", "sts", nil, "", mount, replicas(3))}
		}, map[string][]string{childURN(nil, "kubernetes:apps/v1:StatefulSet", "sts"): {"must run at most 1 replica (has 3)"}}},
		{"a parallel Job", func(t *testing.T) []*Resource {
			return []*Resource{scratch(t), workloadRes(t, "Job", "par", nil, "", mount, func(p map[string]any) {
				p["spec"].(map[string]any)["parallelism"] = float64(4)
			})}
		}, map[string][]string{childURN(nil, "kubernetes:batch/v1:Job", "par"): {"spec.parallelism is 4"}}},
		{"a CronJob whose runs may overlap", func(t *testing.T) []*Resource {
			return []*Resource{scratch(t), workloadRes(t, "CronJob", "cj", nil, "", mount)}
		}, map[string][]string{childURN(nil, "kubernetes:batch/v1:CronJob", "cj"): {"concurrencyPolicy Forbid", "unset, i.e. Allow"}}},
		{"a CronJob with Forbid is fine", func(t *testing.T) []*Resource {
			return []*Resource{scratch(t), workloadRes(t, "CronJob", "cj", nil, "", mount, func(p map[string]any) {
				p["spec"].(map[string]any)["concurrencyPolicy"] = "Forbid"
			})}
		}, nil},
		{"a custom resource's pod template", func(t *testing.T) []*Resource {
			r := res(t, "urn:pulumi:dev::cloud-codex::kubernetes:argoproj.io/v1alpha1:Rollout::r", "", `
metadata: {name: r, namespace: cloud-codex}
spec: {template: {spec: {containers: [{name: a, image: b, volumeMounts: [{name: v, mountPath: /d}]}], volumes: [{name: v, persistentVolumeClaim: {claimName: scratch}}]}}}
`)
			return []*Resource{scratch(t), r}
		}, map[string][]string{"urn:pulumi:dev::cloud-codex::kubernetes:argoproj.io/v1alpha1:Rollout::r": {"whose controller's rollouts and replicas the policy cannot know"}}},
		{"two workloads on one claim", func(t *testing.T) []*Resource {
			return []*Resource{scratch(t), workloadRes(t, "Pod", "p1", nil, "", mount), workloadRes(t, "Pod", "p2", nil, "", mount)}
		}, map[string][]string{
			childURN(nil, "kubernetes:core/v1:Pod", "p1"): {`the ReadWriteOnce PVC "cloud-codex/scratch" is mounted by 2 workloads`},
			childURN(nil, "kubernetes:core/v1:Pod", "p2"): {"mounted by 2 workloads"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckRWOVolumeRecreateSingleReplica(devStack(t, tc.w(t)...)), tc.want)
		})
	}
}
