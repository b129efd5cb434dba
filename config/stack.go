// Package config is the stack configuration: typed structs read from the project's config
// namespace, defaults and validation in one place. Every error names the key path
// (e.g. cloud-codex:agents[1].name) and the fix; nothing is registered before it passes.
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
	// LiteLLM configures the LiteLLMAuthPool.
	LiteLLM LiteLLM `json:"litellm"`
	// Agents are the cloud-codex agents, one CloudCodexAgent each.
	Agents []Agent `json:"agents"`
	// Egress is the agents' default-deny egress NetworkPolicy and its openings.
	Egress Egress `json:"egress"`
}

// Cluster selects the target cluster and its API-only/GitOps modes.
type Cluster struct {
	// Kubeconfig (a path or the contents) of the target cluster. Empty: $KUBECONFIG,
	// else the embedded local cluster when Local is true, else ~/.kube/config.
	Kubeconfig string `json:"kubeconfig"`
	// Context in the kubeconfig. Empty: its current context.
	Context string `json:"context"`
	// Local targets the project's embedded API server ($STATE_DIR/kubeconfig, started by
	// `make cluster-up`), unless Kubeconfig or $KUBECONFIG name another cluster.
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

// SecretRef names a key of a Secret.
type SecretRef = components.SecretRef

// Agent is one agents[] entry; see components.CloudCodexAgentArgs for meanings and defaults.
type Agent struct {
	Name      string            `json:"name"`
	Replicas  *int              `json:"replicas"`
	Storage   AgentStorage      `json:"storage"`
	Codex     AgentCodex        `json:"codex"`
	LiteLLM   AgentLiteLLM      `json:"litellm"`
	Registry  AgentRegistry     `json:"registry"`
	Runner    AgentRunner       `json:"runner"`
	Image     string            `json:"image"`
	Resources Resources         `json:"resources"`
	Env       map[string]string `json:"env"`
	Placement Placement         `json:"placement"`
}

// AgentStorage sizes the agent's state PVC.
type AgentStorage struct {
	Size         string `json:"size"`
	StorageClass string `json:"storageClass"`
}

// AgentCodex configures the agent's codex CLI.
type AgentCodex struct {
	Version    string               `json:"version"`
	Model      string               `json:"model"`
	MCPServers map[string]MCPServer `json:"mcpServers"`
}

// MCPServer is one MCP server of an agent.
type MCPServer struct {
	Command   string               `json:"command"`
	Args      []string             `json:"args"`
	Env       map[string]string    `json:"env"`
	SecretEnv map[string]SecretRef `json:"secretEnv"`
}

// AgentLiteLLM is the agent's LiteLLM key. ManageKey (default true) has Pulumi generate
// the key and register it with ModelAllowlist; false leaves both to the operator.
type AgentLiteLLM struct {
	KeySecret      SecretRef `json:"keySecret"`
	ModelAllowlist []string  `json:"modelAllowlist"`
	ManageKey      *bool     `json:"manageKey"`
}

// AgentRegistry is the agent platform registration.
type AgentRegistry struct {
	APIURL      string    `json:"apiUrl"`
	PodID       string    `json:"podId"`
	TokenSecret SecretRef `json:"tokenSecret"`
}

// AgentRunner is what runs after boot.
type AgentRunner struct {
	Command  []string   `json:"command"`
	Packages []string   `json:"packages"`
	Git      *RunnerGit `json:"git"`
}

// RunnerGit installs the runner from a git repository at a pinned commit.
type RunnerGit struct {
	URL     string   `json:"url"`
	Ref     string   `json:"ref"`
	Path    string   `json:"path"`
	Install []string `json:"install"`
	Image   string   `json:"image"`
}

// Resources are container requests and limits.
type Resources = components.ResourcesArgs
