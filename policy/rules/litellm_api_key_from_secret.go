package rules

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/contract"
)

// RuleLiteLLMAPIKeyFromSecret guards the agents' LiteLLM virtual key: LITELLM_API_KEY
// (the env var codex's provider reads, contract.LiteLLMAPIKeyEnv) must come from a
// Secret (valueFrom.secretKeyRef) in every container of every pod template (a custom
// resource's found by shape), never a literal value or a ConfigMap: a literal lands in the
// manifest, in Pulumi's state and in every `kubectl get -o yaml`. Operators can name more variables with the
// additionalEnvNames config (e.g. LITELLM_MASTER_KEY, LITELLM_SALT_KEY).
const RuleLiteLLMAPIKeyFromSecret = "litellm-api-key-from-secret"

// configAdditionalEnvNames is the config key of further variables held to the same rule.
const configAdditionalEnvNames = "additionalEnvNames"

func liteLLMAPIKeyFromSecretPolicy() policyx.Policy {
	return policyx.NewResourceValidationPolicy(RuleLiteLLMAPIKeyFromSecret, policyx.ResourceValidationPolicyArgs{
		Description:      "LITELLM_API_KEY comes only from a Secret (valueFrom.secretKeyRef), never a literal.",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ConfigSchema: &policyx.ConfigSchema{
			Properties: map[string]map[string]any{
				configAdditionalEnvNames: stringListSchema(
					"More environment variables that must come from a Secret, e.g. LITELLM_MASTER_KEY.",
					"", `^[A-Za-z_][A-Za-z0-9_]*$`),
			},
		},
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			names, err := stringListConfig(RuleLiteLLMAPIKeyFromSecret, args.Config, configAdditionalEnvNames)
			if err != nil {
				return err
			}
			for i, n := range names {
				if !envNameRE.MatchString(n) {
					return configError(RuleLiteLLMAPIKeyFromSecret, configAdditionalEnvNames,
						"item %d (%q) is not an environment variable name", i, n)
				}
			}
			// The kind first: kinds that never carry a pod template are not converted.
			if t, ok := parseKubeType(args.Resource.Type); !ok || notPodBearingKinds[t.Name()] {
				return nil
			}
			for _, w := range WorkloadsOf(resourceFromAnalyzer(args.Resource)) {
				if problems := CheckSecretOnlyEnv(w, append([]string{contract.LiteLLMAPIKeyEnv}, names...)); len(problems) > 0 {
					args.Manager.ReportViolation(fmt.Sprintf("%s %s (pod template at %s):\n  - %s",
						w.Kind, quote(w.Meta.Name), w.PodPath, strings.Join(problems, "\n  - ")), "")
				}
			}
			return nil
		},
	})
}

// CheckSecretOnlyEnv lists the containers that set one of names other than from a Secret.
func CheckSecretOnlyEnv(w Workload, names []string) []string {
	var problems []string
	for _, c := range w.Pod.AllContainers() {
		for _, e := range c.C.Env {
			if !contains(names, e.Name) {
				continue
			}
			switch {
			case e.ValueFrom == nil:
				problems = append(problems, fmt.Sprintf("%s sets %s as a literal value; take it from a Secret (valueFrom.secretKeyRef)", c, e.Name))
			case e.ValueFrom.SecretKeyRef == nil:
				problems = append(problems, fmt.Sprintf("%s takes %s %s; take it from a Secret (valueFrom.secretKeyRef)", c, e.Name, envSource(e)))
			}
		}
	}
	return problems
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// envNameRE is what additionalEnvNames accepts.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
