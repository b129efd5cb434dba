package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/require"

	"cloud-codex/components"
	"cloud-codex/contract"
)

// The blast radius of a config change (issue 11), on a deployed stack, from the change set
// of the real CLI's preview (its engine events): changing one agent's config changes only
// that agent's resources, and no change anywhere in the stack replaces or deletes a
// PersistentVolumeClaim (an agent's /state or the pool's ChatGPT credentials).

const blastNamespace = "cc-bench-blast"

// blastStorageClass is an expandable class whose claims the test binds to PersistentVolumes
// it creates: the local cluster has no provisioner, and an unbound claim's size is
// immutable (the API server refuses the preview's dry run), while a bound claim of an
// expandable class grows in place, as on a real cluster.
const blastStorageClass = "cc-bench-blast-expandable"

var blastAgents = []string{"cody", "ada", "bob"}

// blastStack is a stack config as a value the scenarios change: the pool serves two
// responses-path models so that an agent can switch model without a pool change.
type blastStack struct {
	litellm map[string]any
	agents  []map[string]any
}

func newBlastStack() *blastStack {
	storage := map[string]any{"size": "1Gi", "storageClass": blastStorageClass}
	s := &blastStack{litellm: map[string]any{
		"models": []any{
			map[string]any{"alias": "codex-cli/gpt-5.4", "upstream": "chatgpt/gpt-5.4"},
			map[string]any{"alias": "codex-cli/gpt-5.3", "upstream": "chatgpt/gpt-5.3"},
		},
		"responsesAlias": "codex-cli/gpt-5.4",
		"accounts":       map[string]any{"inRotation": []int{1, 2}, "reserved": []int{3}},
		"authStorage":    storage,
		"database":       map[string]any{"inCluster": map[string]any{}},
	}}
	for _, name := range blastAgents {
		s.agents = append(s.agents, map[string]any{
			"name":     name,
			"storage":  storage,
			"registry": map[string]any{"apiUrl": "https://api.commonly.example", "podId": "pod-blast"},
		})
	}
	return s
}

func (s *blastStack) agent(name string) map[string]any {
	for _, a := range s.agents {
		if a["name"] == name {
			return a
		}
	}
	panic("no agent " + name)
}

func (s *blastStack) config() map[string]string {
	cluster, _ := json.Marshal(map[string]any{"kubeconfig": kubeconfig, "skipAwait": true})
	litellm, _ := json.Marshal(s.litellm)
	agents, _ := json.Marshal(s.agents)
	return map[string]string{
		"cloud-codex:namespace": blastNamespace,
		"cloud-codex:cluster":   string(cluster),
		"cloud-codex:litellm":   string(litellm),
		"cloud-codex:agents":    string(agents),
	}
}

// step is one resource step of a preview.
type step struct {
	op             apitype.OpType
	urn, typ       string
	parent         string
	retainOnDelete bool
}

func (s step) String() string { return fmt.Sprintf("%s %s", s.op, s.urn) }

// previewSteps previews the stack with the policy pack and returns every resource step.
func previewSteps(t *testing.T, stack auto.Stack) []step {
	t.Helper()
	ctx, cancel := timeout(10 * time.Minute)
	defer cancel()
	ch := make(chan events.EngineEvent)
	done := make(chan []step)
	go func() {
		var steps []step
		for e := range ch {
			if e.ResourcePreEvent == nil {
				continue
			}
			m := e.ResourcePreEvent.Metadata
			st := step{op: m.Op, urn: m.URN, typ: m.Type}
			for _, state := range []*apitype.StepEventStateMetadata{m.New, m.Old} {
				if state != nil {
					st.parent, st.retainOnDelete = state.Parent, state.RetainOnDelete
					break
				}
			}
			steps = append(steps, st)
		}
		done <- steps
	}()
	out := &logWriter{t: t}
	_, err := stack.Preview(ctx, optpreview.PolicyPacks(policyPack), optpreview.EventStreams(ch), optpreview.ProgressStreams(out))
	steps := <-done
	if err != nil {
		out.dump()
	}
	require.NoError(t, err)
	require.NotEmpty(t, steps, "the preview reported no steps")
	return steps
}

// changed returns the steps that do something (not "same").
func changed(steps []step) []step {
	var out []step
	for _, s := range steps {
		if s.op != apitype.OpSame {
			out = append(out, s)
		}
	}
	return out
}

// agentOf returns the CloudCodexAgent a step's resource belongs to ("" if none): the
// component itself, or the name of the agent component that is its parent.
func agentOf(s step, urnToStep map[string]step) string {
	for cur, seen := s, map[string]bool{}; !seen[cur.urn]; {
		seen[cur.urn] = true
		if cur.typ == contract.CloudCodexAgentType {
			return cur.urn[strings.LastIndex(cur.urn, "::")+2:]
		}
		parent, ok := urnToStep[cur.parent]
		if !ok {
			return ""
		}
		cur = parent
	}
	return ""
}

// assertNoPVCReplaced fails on any step that would replace or delete a PVC, except the
// delete of a claim that is retained on the cluster (the object stays).
func assertNoPVCReplaced(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		if s.typ != "kubernetes:core/v1:PersistentVolumeClaim" {
			continue
		}
		switch s.op {
		case apitype.OpSame, apitype.OpUpdate, apitype.OpCreate:
		case apitype.OpDelete:
			require.True(t, s.retainOnDelete, "PVC %s would be deleted from the cluster", s.urn)
		default:
			require.Failf(t, "a PVC would be replaced", "%s (a replaced claim loses its data)", s)
		}
	}
}

// assertNoWorkloadReplaced fails on any step that would replace a Deployment or a
// StatefulSet. Their names are fixed, so a replacement deletes before it creates; where
// awaiting is skipped, the create lands on the object still being deleted, and the workload
// is gone from the cluster while the state holds it (found on the dev stack: an upgrade that
// changed the agents' scripts ConfigMap replaced every agent's Deployment that way).
func assertNoWorkloadReplaced(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		if s.typ != "kubernetes:apps/v1:Deployment" && s.typ != "kubernetes:apps/v1:StatefulSet" {
			continue
		}
		switch s.op {
		case apitype.OpSame, apitype.OpUpdate, apitype.OpCreate, apitype.OpDelete:
		default:
			require.Failf(t, "a workload would be replaced", "%s (delete and create of one name)", s)
		}
	}
}

// bindableClaims creates the expandable StorageClass and one PersistentVolume pre-bound
// to each claim (namespace/name), so that the claims bind once created; the cleanup
// removes them (cluster-scoped objects, all named cc-bench-blast-*).
func bindableClaims(t *testing.T, namespace string, claims []string) {
	t.Helper()
	var docs []string
	pvs := make([]string, len(claims))
	for i, c := range claims {
		pvs[i] = "cc-bench-blast-" + c
		docs = append(docs, fmt.Sprintf(`apiVersion: v1
kind: PersistentVolume
metadata: {name: %s}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: %s
  hostPath: {path: /tmp/%s}
  claimRef: {namespace: %s, name: %s}`, pvs[i], blastStorageClass, pvs[i], namespace, c))
	}
	docs = append(docs, fmt.Sprintf(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: %s}
provisioner: kubernetes.io/no-provisioner
allowVolumeExpansion: true
volumeBindingMode: Immediate`, blastStorageClass))
	remove := func() {
		_, err := kubectl(t, append([]string{"delete", "--ignore-not-found", "--wait=false", "persistentvolume"}, pvs...)...)
		require.NoError(t, err)
		_, err = kubectl(t, "delete", "--ignore-not-found", "storageclass", blastStorageClass)
		require.NoError(t, err)
	}
	remove() // a previous run's volumes are Released and would not bind again
	file := filepath.Join(t.TempDir(), "volumes.yaml")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(docs, "\n---\n")), 0o600))
	_, err := kubectl(t, "apply", "-f", file)
	require.NoError(t, err)
	t.Cleanup(remove)
}

// waitBound waits until the claims are bound (the persistent volume controller binds them).
func waitBound(t *testing.T, namespace string, claims []string) {
	t.Helper()
	for _, c := range claims {
		_, err := kubectl(t, "wait", "-n", namespace, "--for=jsonpath={.status.phase}=Bound", "--timeout=120s", "pvc/"+c)
		require.NoError(t, err, "claim %s should bind to its volume", c)
	}
}

func TestBlastRadiusOfConfigChanges(t *testing.T) {
	deleteNamespace(t, blastNamespace)
	claims := []string{"litellm-chatgpt-auth"}
	for _, a := range blastAgents {
		claims = append(claims, components.AgentResourceName(a))
	}
	bindableClaims(t, blastNamespace, claims)
	t.Cleanup(func() { deleteNamespace(t, blastNamespace) })
	base := newBlastStack()
	stack := newStack(t, rootDir, "e2e-blast-radius", base.config())
	ctx, cancel := timeout(20 * time.Minute)
	defer cancel()
	up := &logWriter{t: t}
	if _, err := stack.Up(ctx, optup.PolicyPacks(policyPack), optup.ProgressStreams(up)); err != nil {
		up.dump()
		require.NoError(t, err)
	}
	waitBound(t, blastNamespace, claims)

	set := func(t *testing.T, s *blastStack) {
		t.Helper()
		require.NoError(t, stack.SetAllConfig(ctx, configMap(s.config())))
	}

	// One agent's change: every step that does something is one of ada's resources; at
	// least one does (the change is not a no-op); no PVC is replaced.
	for _, tc := range []struct {
		name   string
		change func(ada map[string]any)
		want   []string // resource types ada's change must touch
	}{
		{"storage size", func(a map[string]any) { a["storage"] = map[string]any{"size": "2Gi"} },
			[]string{"kubernetes:core/v1:PersistentVolumeClaim"}},
		// Ignored (a claim's class cannot change in place): nothing changes, nothing is replaced.
		{"storage class", func(a map[string]any) { a["storage"] = map[string]any{"size": "1Gi", "storageClass": "fast-ssd"} }, nil},
		{"image", func(a map[string]any) { a["image"] = "node:22.12-bookworm-slim" },
			[]string{"kubernetes:apps/v1:Deployment"}},
		{"codex version", func(a map[string]any) { a["codex"] = map[string]any{"version": "0.172.0"} },
			[]string{"kubernetes:apps/v1:Deployment"}},
		{"replicas", func(a map[string]any) { a["replicas"] = 0 },
			[]string{"kubernetes:apps/v1:Deployment"}},
		{"model", func(a map[string]any) { a["codex"] = map[string]any{"model": "codex-cli/gpt-5.3"} },
			[]string{"kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ConfigMap", "kubernetes:batch/v1:Job"}},
		{"env and resources", func(a map[string]any) {
			a["env"] = map[string]any{"GIT_AUTHOR_NAME": "ada"}
			a["resources"] = map[string]any{"limits": map[string]any{"memory": "3Gi"}}
		}, []string{"kubernetes:apps/v1:Deployment"}},
	} {
		t.Run("one agent: "+tc.name, func(t *testing.T) {
			s := newBlastStack()
			tc.change(s.agent("ada"))
			set(t, s)
			steps := previewSteps(t, stack)
			byURN := map[string]step{}
			for _, st := range steps {
				byURN[st.urn] = st
			}
			touched := map[string]bool{}
			for _, st := range changed(steps) {
				require.Equal(t, "ada", agentOf(st, byURN), "changing agent ada's %s changes %s, which is not ada's", tc.name, st)
				touched[st.typ] = true
			}
			logChanges(t, steps)
			for _, typ := range tc.want {
				require.True(t, touched[typ], "changing ada's %s should change its %s; changed: %v", tc.name, typ, changed(steps))
			}
			assertNoPVCReplaced(t, steps)
			assertNoWorkloadReplaced(t, steps)
		})
	}

	// Stack-wide changes: whatever they touch, no PVC is replaced or deleted.
	for _, tc := range []struct {
		name   string
		change func(s *blastStack)
	}{
		{"pool auth storage size and class", func(s *blastStack) {
			s.litellm["authStorage"] = map[string]any{"size": "2Gi", "storageClass": "fast-ssd"}
		}},
		{"pool image and codex version", func(s *blastStack) {
			s.litellm["image"] = "ghcr.io/berriai/litellm-non_root:v1.88.3"
			s.litellm["codexVersion"] = "0.172.0"
		}},
		{"every agent at once", func(s *blastStack) {
			for _, a := range s.agents {
				a["storage"] = map[string]any{"size": "3Gi", "storageClass": "fast-ssd"}
				a["image"] = "node:22.12-bookworm-slim"
				a["codex"] = map[string]any{"version": "0.172.0", "model": "codex-cli/gpt-5.3"}
				a["replicas"] = 0
			}
		}},
		{"an agent removed (its claim is retained on the cluster)", func(s *blastStack) { s.agents = s.agents[:2] }},
	} {
		t.Run("stack: "+tc.name, func(t *testing.T) {
			s := newBlastStack()
			tc.change(s)
			set(t, s)
			steps := previewSteps(t, stack)
			require.NotEmpty(t, changed(steps), "the change should change something")
			assertNoPVCReplaced(t, steps)
			assertNoWorkloadReplaced(t, steps)
			logChanges(t, steps)
		})
	}

	t.Run("applied: a change to an agent's config files keeps its Deployment and rolls its pods", func(t *testing.T) {
		before := getJSON(t, blastNamespace, "deployment", components.AgentResourceName("ada"))
		s := newBlastStack()
		s.agent("ada")["codex"] = map[string]any{"model": "codex-cli/gpt-5.3"}
		set(t, s)
		out := &logWriter{t: t}
		if _, err := stack.Up(ctx, optup.PolicyPacks(policyPack), optup.ProgressStreams(out)); err != nil {
			out.dump()
			require.NoError(t, err)
		}
		after := getJSON(t, blastNamespace, "deployment", components.AgentResourceName("ada"))
		require.Equal(t, dig(before, "metadata", "uid"), dig(after, "metadata", "uid"), "the same Deployment, updated in place")
		require.Nil(t, dig(after, "metadata", "deletionTimestamp"), "not being deleted")
		require.NotEqual(t,
			dig(before, "spec", "template", "metadata", "annotations", components.AnnotationConfigSHA256),
			dig(after, "spec", "template", "metadata", "annotations", components.AnnotationConfigSHA256),
			"the pod template's config checksum changed: the pods roll")
	})
}

// logChanges records the change set (go test -v shows it): the blast radius, for review.
func logChanges(t *testing.T, steps []step) {
	var ops []string
	for _, st := range changed(steps) {
		ops = append(ops, st.String())
	}
	sort.Strings(ops)
	t.Logf("%d steps change something:\n%s", len(ops), strings.Join(ops, "\n"))
}
