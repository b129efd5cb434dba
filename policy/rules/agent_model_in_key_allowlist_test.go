package rules

import (
	"testing"

	"cloud-codex/contract"
)

func TestAgentModelInKeyAllowlist(t *testing.T) {
	with := func(allow string) func(t *testing.T) *Stack {
		return func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, annotate(contract.ModelAllowlistAnnotation, allow))
		}
	}
	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  map[string][]string
	}{
		{"allowlist from the component output", func(t *testing.T) *Stack { return devStack(t) }, nil},
		{"no allowlist declared anywhere", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), agentURN("alice"), func(p map[string]any) { delete(p, "modelAllowlist") })
		}, nil},
		{"component output lacks the model", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), agentURN("alice"), func(p map[string]any) { p["modelAllowlist"] = []any{"other"} })
		}, map[string][]string{aliceDeployURN: {`model "codex-cli/gpt-5.4" is not in its LiteLLM key's allowlist ["other"] (CloudCodexAgent output modelAllowlist)`}}},
		{"the annotation wins over the component output", func(t *testing.T) *Stack {
			s := mutate(t, devStack(t), agentURN("alice"), func(p map[string]any) { p["modelAllowlist"] = []any{"other"} })
			return mutate(t, s, aliceDeployURN, annotate(contract.ModelAllowlistAnnotation, `["codex-cli/gpt-5.4"]`))
		}, nil},
		{"model allowed", with(`["codex-cli/gpt-5.4"]`), nil},
		{"model among others", with(`["other", "codex-cli/gpt-5.4"]`), nil},
		{"empty list allows every model (LiteLLM)", with(`[]`), nil},
		{"all-proxy-models", with(`["all-proxy-models"]`), nil},
		{"model missing", with(`["codex-cli/gpt-5.3"]`), map[string][]string{aliceDeployURN: {
			`Deployment "alice": the agent's model "codex-cli/gpt-5.4" is not in its LiteLLM key's allowlist ["codex-cli/gpt-5.3"]`}}},
		{"not JSON", with(`codex-cli/gpt-5.4`), map[string][]string{aliceDeployURN: {
			"annotation cloud-codex.dev/model-allowlist must be a JSON list of model names"}}},
		{"not a list of strings", with(`{"models": ["x"]}`), map[string][]string{aliceDeployURN: {"must be a JSON list"}}},
		{"the model of another agent does not count", func(t *testing.T) *Stack {
			s := withAliceConfig(t, devStack(t), codexConfigTOML(t))
			s = mutate(t, s, aliceDeployURN, annotate(contract.ModelAllowlistAnnotation, `["codex-cli/gpt-5.4"]`))
			return mutate(t, s, bobDeployURN, annotate(contract.ModelAllowlistAnnotation, `["codex-cli/gpt-5.3"]`))
		}, map[string][]string{bobDeployURN: {`"codex-cli/gpt-5.4" is not in`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckAgentModelInKeyAllowlist(tc.stack(t)), tc.want)
		})
	}
}
