package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
)

// RuleAgentModelInKeyAllowlist guards the agents' LiteLLM virtual keys (issue 10): LiteLLM
// refuses (401/403) a request for a model that the key's allowlist lacks, so an agent whose
// model is missing from its key's allowlist cannot work at all. In the original system a
// regenerated key without the right alias silently broke an agent. The allowlist is read
// from the agent Deployment's annotation cloud-codex.dev/model-allowlist (a JSON list of
// model names) or, without it, from the CloudCodexAgent component's modelAllowlist output;
// the model from the codex config.toml of the same CloudCodexAgent.
//
// The CloudCodexAgent writes that annotation from the same allowlist its key-registration
// Job registers in LiteLLM, so the rule checks what LiteLLM will enforce. An agent that
// declares neither is not checked. As in LiteLLM, an empty list or the entry
// "all-proxy-models" allows every model.
const RuleAgentModelInKeyAllowlist = "agent-model-in-key-allowlist"

// allProxyModels is LiteLLM's allowlist entry for "every model of the proxy".
const allProxyModels = "all-proxy-models"

func agentModelInKeyAllowlistPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleAgentModelInKeyAllowlist, policyx.StackValidationPolicyArgs{
		Description: "Every agent's model is in its LiteLLM key's allowlist (annotation " +
			contract.ModelAllowlistAnnotation + " on the agent Deployment).",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckAgentModelInKeyAllowlist(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// CheckAgentModelInKeyAllowlist returns one violation per agent Deployment whose declared
// allowlist is malformed or lacks the model of its agent's codex config.
func CheckAgentModelInKeyAllowlist(s *Stack) []Violation {
	models := map[string][]string{} // CloudCodexAgent URN -> models of its codex configs
	for _, r := range s.Resources {
		if r.kindOf() != "ConfigMap" {
			continue
		}
		role, owner := s.owner(r)
		if role != RoleAgent || owner == "" {
			continue
		}
		text, ok := s.dataOf(r)[codexconfig.FileName]
		if !ok || isUnknown(text) {
			continue
		}
		if cfg, err := s.codexConfig(text); err == nil && cfg.Model != "" && !contains(models[owner], cfg.Model) {
			models[owner] = append(models[owner], cfg.Model)
		}
	}
	var out []Violation
	for _, sw := range s.workloads() {
		if sw.Role != RoleAgent || sw.W.Kind != "Deployment" {
			continue
		}
		desc := fmt.Sprintf("Deployment %s", quote(sw.W.Meta.Name))
		var allow []string
		source := "annotation " + contract.ModelAllowlistAnnotation
		if raw, ok := sw.W.Meta.Annotations[contract.ModelAllowlistAnnotation]; ok {
			if isUnknown(raw) {
				continue
			}
			if err := json.Unmarshal([]byte(raw), &allow); err != nil {
				out = append(out, Violation{URN: sw.Res.URN, Message: fmt.Sprintf(
					"%s: annotation %s must be a JSON list of model names: %v", desc, contract.ModelAllowlistAnnotation, err)})
				continue
			}
		} else if list, ok := componentAllowlist(s.Get(sw.Owner)); ok {
			allow = list
			source = "CloudCodexAgent output " + componentAllowlistOutput
		} else {
			continue
		}
		for _, m := range models[sw.Owner] {
			if !modelAllowed(allow, m) {
				out = append(out, Violation{URN: sw.Res.URN, Message: fmt.Sprintf(
					"%s: the agent's model %q is not in its LiteLLM key's allowlist [%s] (%s); LiteLLM would refuse every request.",
					desc, m, strings.Join(quoteAll(allow), ", "), source)})
			}
		}
	}
	return out
}

// componentAllowlistOutput is the CloudCodexAgent output that holds the key's allowlist.
const componentAllowlistOutput = "modelAllowlist"

// componentAllowlist reads the allowlist a CloudCodexAgent component declares as an
// output; ok is false when there is none or it is not fully known.
func componentAllowlist(agent *Resource) ([]string, bool) {
	if agent == nil {
		return nil, false
	}
	list, ok := agent.Props[componentAllowlistOutput].([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok || isUnknown(s) {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// modelAllowed applies LiteLLM's allowlist semantics.
func modelAllowed(allow []string, model string) bool {
	return len(allow) == 0 || contains(allow, allProxyModels) || contains(allow, model)
}
