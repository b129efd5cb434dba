package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
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

var updateSamples = flag.Bool("update-samples", false, "rewrite policy/rules/testdata/stacks/dev.yaml")

// devStackSample is the base of the policy rules' data samples: the dev stack as this
// program registers it, so that the samples vary what the program deploys.
const devStackSample = "policy/rules/testdata/stacks/dev.yaml"

func TestDevStackSampleIsWhatTheProgramRegisters(t *testing.T) {
	t.Setenv("STATE_DIR", "") // the local cluster's kubeconfig: <checkout>/.state below
	rec, err := runWithConfig(t, devStackConfig(t))
	require.NoError(t, err)
	var got bytes.Buffer
	require.NoError(t, rules.WriteManifest(&got, "The dev stack as the program registers it (Pulumi.dev.yaml under Pulumi's mocks), the base\n"+
		"of the policy rules' samples. Generated: go test . -run DevStackSample -update-samples", rules.ResourcesOf(rec.analyzed)))
	// The program's provider points at this checkout's cluster state: not a fact of the stack.
	wd, err := os.Getwd()
	require.NoError(t, err)
	normalised := bytes.ReplaceAll(got.Bytes(), []byte(wd), []byte("<checkout>"))
	got.Reset()
	got.Write(normalised)
	if *updateSamples {
		require.NoError(t, os.WriteFile(devStackSample, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(devStackSample)
	require.NoError(t, err, "go test . -run DevStackSample -update-samples creates it")
	require.True(t, bytes.Equal(want, got.Bytes()),
		"%s is not what the program registers; run go test . -run DevStackSample -update-samples and review the diff", devStackSample)
	back, err := rules.ReadManifest(devStackSample, nil)
	require.NoError(t, err)
	require.Len(t, back, len(rec.analyzed), "%s read back", devStackSample)
}
