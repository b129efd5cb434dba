package config

import (
	"reflect"
	"slices"

	k8score "k8s.io/api/core/v1"

	"cloud-codex/components"
)

// Placement is where a workload's pods may run, written as in a pod spec (Kubernetes' own
// types, so unknown keys inside tolerations and affinity are refused by name too).
type Placement struct {
	NodeSelector      map[string]string    `json:"nodeSelector"`
	Tolerations       []k8score.Toleration `json:"tolerations"`
	Affinity          *k8score.Affinity    `json:"affinity"`
	PriorityClassName string               `json:"priorityClassName"`
}

func (p Placement) args() components.PlacementArgs {
	return components.PlacementArgs{
		NodeSelector: p.NodeSelector, Tolerations: p.Tolerations, Affinity: p.Affinity, PriorityClassName: p.PriorityClassName,
	}
}

func (g *RunnerGit) args() *components.AgentRunnerGitArgs {
	if g == nil {
		return nil
	}
	return &components.AgentRunnerGitArgs{URL: g.URL, Ref: g.Ref, Path: g.Path, Install: slices.Clone(g.Install), Image: g.Image}
}

// Egress is the agents' default-deny egress NetworkPolicy (components.NewAgentEgressPolicy).
// NetworkPolicy cannot name hosts: each destination is a list of CIDRs.
type Egress struct {
	// Enabled: default true. false declares no policy (agents' egress is then open).
	Enabled *bool `json:"enabled"`
	// PlatformAPI: the agent platform's API (registry.apiUrl).
	PlatformAPI []EgressRule `json:"platformApi"`
	// NPMRegistry: the npm registry of the install steps.
	NPMRegistry []EgressRule `json:"npmRegistry"`
	// Allow: any other destination (MCP servers, the runner.git host).
	Allow []EgressRule `json:"allow"`
}

// EgressRule is one opened CIDR (components.EgressRule).
type EgressRule struct {
	CIDR     string   `json:"cidr"`
	Except   []string `json:"except"`
	Ports    []int    `json:"ports"`
	Protocol string   `json:"protocol"`
}

// EgressEnabled reports whether the agents' egress policy is declared (default true).
func (s Stack) EgressEnabled() bool { return s.Egress.Enabled == nil || *s.Egress.Enabled }

// EgressArgs are the policy's args; the LiteLLM selector comes from the auth pool.
func (s Stack) EgressArgs(litellmSelector map[string]string) components.AgentEgressArgs {
	rules := func(in []EgressRule) []components.EgressRule {
		var out []components.EgressRule
		for _, r := range in {
			out = append(out, components.EgressRule{CIDR: r.CIDR, Except: r.Except, Ports: r.Ports, Protocol: r.Protocol})
		}
		return out
	}
	return components.AgentEgressArgs{
		Namespace:       s.Namespace,
		LiteLLMSelector: litellmSelector,
		PlatformAPI:     rules(s.Egress.PlatformAPI),
		NPMRegistry:     rules(s.Egress.NPMRegistry),
		Allow:           rules(s.Egress.Allow),
		SkipAwait:       s.SkipAwait(),
	}
}

func (s Stack) validateEgress() error {
	if err := s.EgressArgs(nil).Validate(); err != nil {
		return atPath(Namespace+":egress", reflect.TypeOf(Egress{}), err, nil)
	}
	return nil
}
