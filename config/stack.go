// Package config is the stack configuration. Stack config decodes strictly, straight into
// the components' args (their json tags are the config keys): there is one type tree from
// Pulumi.<stack>.yaml to the components. This package fills in the values every component
// takes from the stack (namespace, skipAwait, the agents' default model), cross-checks the
// components against each other, and reports every error at its key path (e.g.
// cloud-codex:agents[1].name) with the fix; nothing is registered before it passes.
// Wiring one component's outputs into another is main.go's.
package config

import "cloud-codex/components"

// Namespace is the project's config namespace (the Pulumi project name).
const Namespace = "cloud-codex"

// Stack is the whole stack configuration.
type Stack struct {
	// Namespace for every object. Default "cloud-codex".
	Namespace string `json:"namespace"`
	// Cluster says where (and whether) to deploy.
	Cluster Cluster `json:"cluster"`
	// LiteLLM is the LiteLLMAuthPool.
	LiteLLM components.LiteLLMAuthPoolArgs `json:"litellm"`
	// Agents are the cloud-codex agents, one CloudCodexAgent each.
	Agents []components.CloudCodexAgentArgs `json:"agents"`
	// Egress is the agents' default-deny egress NetworkPolicy and its openings.
	Egress Egress `json:"egress"`
}

// Cluster selects the target cluster and its API-only/GitOps modes.
type Cluster struct {
	// Kubeconfig (a path or the contents) of the target cluster. Empty: $KUBECONFIG,
	// else the embedded local cluster when Local is true, else ~/.kube/config. Refused
	// together with Local.
	Kubeconfig string `json:"kubeconfig"`
	// Context in the kubeconfig. Empty: its current context.
	Context string `json:"context"`
	// Local targets the project's embedded API server ($STATE_DIR/kubeconfig, started by
	// `make cluster-up`), unless $KUBECONFIG names another cluster (which wins, with a
	// warning: KubeconfigEnvWarning). Refused together with Kubeconfig or RenderTo.
	Local bool `json:"local"`
	// RenderTo writes manifests to this directory instead of applying them (GitOps).
	RenderTo string `json:"renderTo"`
	// SkipAwait marks objects ready at once. Default: true on the embedded local cluster
	// (it has no kubelet), false elsewhere (render mode never waits anyway).
	SkipAwait *bool `json:"skipAwait"`
	// PodSecurity levels for the namespace labels.
	PodSecurity PodSecurity `json:"podSecurity"`
}

// PodSecurity are Pod Security Admission levels (privileged, baseline, restricted).
type PodSecurity struct {
	Enforce string `json:"enforce"` // default restricted
	Warn    string `json:"warn"`    // default restricted
	Audit   string `json:"audit"`   // default restricted
}

// Egress is the agents' default-deny egress NetworkPolicy (components.NewAgentEgressPolicy):
// the component's args plus whether to declare it at all.
type Egress struct {
	// Enabled: default true. false declares no policy (agents' egress is then open).
	Enabled *bool `json:"enabled"`
	components.AgentEgressArgs
}

// EgressEnabled reports whether the agents' egress policy is declared (default true).
func (s Stack) EgressEnabled() bool { return s.Egress.Enabled == nil || *s.Egress.Enabled }
