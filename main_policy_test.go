package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/require"

	"cloud-codex/contract"
	"cloud-codex/policy/rules"
)

// The real program must pass the real pack. The rules' own samples are hand-written and can
// drift from what the components emit; here the program runs under Pulumi's mocks for the
// dev stack and for a 10-agent stack, every registration is turned into what the policy
// engine sends the pack (type, URN, parent, dependencies, inputs with their secrets), and
// every rule of policy/rules runs over it, expecting no violation. A component change
// that breaks an invariant fails here in a second, not at the next `pulumi preview`.

// analyzerResource is a registration as the engine hands it to the pack.
func analyzerResource(args pulumi.MockResourceArgs) policyx.AnalyzerResource {
	r := policyx.AnalyzerResource{
		Type:       args.TypeToken,
		Name:       args.Name,
		Properties: resource.FromResourcePropertyMap(args.Inputs),
	}
	parentType := tokens.Type("")
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Dependencies = append(r.Dependencies, rpc.GetDependencies()...)
		r.PropertyDependencies = map[string][]string{}
		for prop, deps := range rpc.GetPropertyDependencies() {
			r.Dependencies = append(r.Dependencies, deps.GetUrns()...)
			r.PropertyDependencies[prop] = deps.GetUrns()
		}
		if p, err := urn.Parse(r.Parent); err == nil && p.Type() != "pulumi:pulumi:Stack" {
			parentType = p.QualifiedType()
		}
	}
	r.URN = string(urn.New("dev", "cloud-codex", parentType, tokens.Type(args.TypeToken), args.Name))
	return r
}

// tenAgentsConfig is the dev stack with ten agents; one has an MCP server that takes its
// token from its own Secret (secretEnv), so the agents' full shape is covered.
func tenAgentsConfig(t *testing.T) map[string]string {
	t.Helper()
	cfg := devStackConfig(t)
	agents := make([]map[string]any, 10)
	for i := range agents {
		agents[i] = map[string]any{
			"name":     fmt.Sprintf("agent%02d", i),
			"registry": map[string]any{"apiUrl": "https://api.commonly.example", "podId": "pod-dev"},
		}
	}
	agents[1]["codex"] = map[string]any{"mcpServers": map[string]any{"github": map[string]any{
		"command":   "npx",
		"args":      []string{"-y", "@modelcontextprotocol/server-github@2025.4.8"},
		"secretEnv": map[string]any{"GITHUB_PERSONAL_ACCESS_TOKEN": map[string]any{"name": "agent01-github", "key": "token"}},
	}}}
	raw, err := json.Marshal(agents)
	require.NoError(t, err)
	cfg["cloud-codex:agents"] = string(raw)
	return cfg
}

func TestProgramPassesThePolicyPack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config func(*testing.T) map[string]string
		agents int
	}{
		{"dev", devStackConfig, 1},
		{"ten agents", tenAgentsConfig, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := runWithConfig(t, tc.config(t))
			require.NoError(t, err)
			// The rules recognise the agents by their component's type token: without this
			// count a renamed token would leave them unchecked and the test green.
			agents := 0
			for _, r := range rec.analyzed {
				if r.Type == contract.CloudCodexAgentType {
					agents++
				}
			}
			require.Equal(t, tc.agents, agents, "CloudCodexAgent components registered")

			got, err := rules.Evaluate(context.Background(), rec.analyzed)
			require.NoError(t, err)
			var lines []string
			for rule, vs := range got {
				for _, v := range vs {
					lines = append(lines, fmt.Sprintf("%s: %s: %s", rule, v.URN, v.Message))
				}
			}
			sort.Strings(lines)
			require.Empty(t, lines, "the program's %s stack violates the pack:\n%s", tc.name, strings.Join(lines, "\n"))
		})
	}
}
