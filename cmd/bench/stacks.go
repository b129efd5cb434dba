package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The bench's stacks: the real program with n agents, the floor fixture with as many
// ConfigMaps as the real stack has objects, and the real program in render mode (its
// manifests, for kubectl). Each gets its own namespace (cc-bench-*), so none touches the
// dev stack or the e2e suite's namespaces.

// Namespaces of the stacks for n agents.
func oursNamespace(n int) string    { return fmt.Sprintf("cc-bench-n%d", n) }
func floorNamespace(n int) string   { return fmt.Sprintf("cc-bench-floor-n%d", n) }
func kubectlNamespace(n int) string { return fmt.Sprintf("cc-bench-kubectl-n%d", n) }

// Stack names of the stacks for n agents (in the bench's own file backend).
func oursStack(n int) string   { return fmt.Sprintf("bench-n%d", n) }
func floorStack(n int) string  { return fmt.Sprintf("bench-floor-n%d", n) }
func renderStack(n int) string { return fmt.Sprintf("bench-render-n%d", n) }

// agentName is the name of the i-th bench agent (a DNS label, well under the limit).
func agentName(i int) string { return fmt.Sprintf("agent%03d", i) }

// noNode is the bench's placement for every pod: a node label no node has. The bench measures
// what Pulumi, the providers and the API server spend on the objects; pods that started on
// the embedded cluster's node (npm installs, Go builds in 2×N init containers) would take the
// same two CPUs and time the node instead. Pending pods, as on a cluster without a kubelet.
var noNode = map[string]any{"nodeSelector": map[string]string{"cloud-codex.dev/bench-no-node": "true"}}

// agentsConfig is cloud-codex:agents for n agents: every agent as a user would write it
// (defaults everywhere, a Pulumi-managed LiteLLM key, so each has its key Secret and
// registration Job).
func agentsConfig(n int) string {
	agents := make([]map[string]any, n)
	for i := range agents {
		agents[i] = map[string]any{
			"name":      agentName(i),
			"registry":  map[string]any{"apiUrl": "https://api.commonly.example", "podId": "pod-bench"},
			"placement": noNode,
		}
	}
	return mustJSON(agents)
}

// oursConfig is the real program's config for n agents in namespace ns; cluster is the
// cloud-codex:cluster value (the local API server with skipAwait, or render mode).
func oursConfig(n int, ns string, cluster map[string]any) map[string]string {
	return map[string]string{
		"cloud-codex:namespace": ns,
		"cloud-codex:cluster":   mustJSON(cluster),
		"cloud-codex:litellm": mustJSON(map[string]any{
			"accounts":  map[string]any{"inRotation": []int{1, 2}, "reserved": []int{3}},
			"database":  map[string]any{"inCluster": map[string]any{}},
			"placement": noNode,
		}),
		"cloud-codex:agents": agentsConfig(n),
	}
}

// floorConfig is the floor fixture's config: count ConfigMaps in ns.
func floorConfig(count int, ns, kubeconfig string) map[string]string {
	return map[string]string{
		"cloud-codex-floor:count":      fmt.Sprint(count),
		"cloud-codex-floor:namespace":  ns,
		"cloud-codex-floor:kubeconfig": kubeconfig,
	}
}

// deploymentCounts counts the resources of an exported deployment (pulumi stack export):
// all of them, and the objects (custom resources that are not providers: Kubernetes
// objects and random passwords), which is the floor's ConfigMap count.
func deploymentCounts(export []byte) (all, objects int, err error) {
	var d struct {
		Deployment struct {
			Resources []struct {
				Type   string `json:"type"`
				Custom bool   `json:"custom"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(export, &d); err != nil {
		return 0, 0, fmt.Errorf("reading the stack export: %w", err)
	}
	if len(d.Deployment.Resources) == 0 {
		return 0, 0, fmt.Errorf("the stack export lists no resources")
	}
	for _, r := range d.Deployment.Resources {
		all++
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			objects++
		}
	}
	return all, objects, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
