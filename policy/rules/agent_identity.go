package rules

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/contract"
)

// RuleAgentIdentity guards the agents' registry identity: the platform only knows agents
// named "codex", and tells instances apart by their instance id. In the original system a
// chart default registered agents as "cloud-codex": they were marked stale and stopped
// receiving work. Every agent Deployment (a Deployment child of a CloudCodexAgent), and
// every other workload that registers as "codex", must set COMMONLY_AGENT_NAME to the
// literal "codex" and COMMONLY_INSTANCE_ID to a literal, non-empty value that no other
// workload of the stack uses (literals, so that the policy can check them).
const RuleAgentIdentity = "agent-identity"

func agentIdentityPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleAgentIdentity, policyx.StackValidationPolicyArgs{
		Description: "cloud-codex agents register as \"codex\" (COMMONLY_AGENT_NAME) with a unique, non-empty " +
			"COMMONLY_INSTANCE_ID.",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckAgentIdentity(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// CheckAgentIdentity returns the identity violations of the stack's agents.
func CheckAgentIdentity(s *Stack) []Violation {
	var out []Violation
	type use struct {
		urn, desc string
	}
	ids := map[string][]use{}
	for _, sw := range s.workloads() {
		agent := sw.Role == RoleAgent && sw.W.Kind == "Deployment"
		if !agent && !registersAsCodex(sw.W) {
			continue
		}
		desc := sw.String()
		problems, instanceIDs := identityProblems(sw.W, agent)
		if len(problems) > 0 {
			out = append(out, Violation{URN: sw.Res.URN, Message: fmt.Sprintf("%s registers with the wrong identity:\n  - %s",
				desc, strings.Join(problems, "\n  - "))})
		}
		if sw.isPatchView() {
			continue // the same pods as its target, which is counted
		}
		for _, id := range instanceIDs {
			ids[id] = append(ids[id], use{sw.Res.URN, desc})
		}
	}
	dups := make([]string, 0, len(ids))
	for id, uses := range ids {
		if len(uses) > 1 {
			dups = append(dups, id)
		}
	}
	sort.Strings(dups)
	for _, id := range dups {
		uses := ids[id]
		for i, u := range uses {
			var others []string
			for j, o := range uses {
				if j != i {
					others = append(others, o.desc)
				}
			}
			out = append(out, Violation{URN: u.urn, Message: fmt.Sprintf(
				"%s uses %s %q, which %s also uses: instance ids must be unique in the stack.",
				u.desc, contract.InstanceIDEnv, id, strings.Join(others, ", "))})
		}
	}
	return out
}

// registersAsCodex reports whether some container of w sets COMMONLY_AGENT_NAME=codex.
func registersAsCodex(w Workload) bool {
	for _, c := range w.Pod.AllContainers() {
		if e, ok := c.C.EnvVar(contract.AgentNameEnv); ok && e.ValueFrom == nil && e.Value == contract.AgentRegistryName {
			return true
		}
	}
	return false
}

// identityProblems checks the identity env of a workload's containers and returns the
// distinct literal instance ids it registers with. required says the workload is an agent,
// which must set both variables.
func identityProblems(w Workload, required bool) (problems, instanceIDs []string) {
	hasName, hasID := false, false
	seen := map[string]bool{}
	for _, c := range w.Pod.AllContainers() {
		if e, ok := c.C.EnvVar(contract.AgentNameEnv); ok {
			hasName = true
			switch {
			case e.ValueFrom != nil:
				problems = append(problems, fmt.Sprintf("%s takes %s %s; it must be the literal %q",
					c, contract.AgentNameEnv, envSource(e), contract.AgentRegistryName))
			case !isUnknown(e.Value) && e.Value != contract.AgentRegistryName:
				problems = append(problems, fmt.Sprintf("%s sets %s=%q; the platform only knows %q",
					c, contract.AgentNameEnv, e.Value, contract.AgentRegistryName))
			}
		}
		if e, ok := c.C.EnvVar(contract.InstanceIDEnv); ok {
			hasID = true
			switch {
			case e.ValueFrom != nil:
				problems = append(problems, fmt.Sprintf("%s takes %s %s; it must be a literal (the agent's name)",
					c, contract.InstanceIDEnv, envSource(e)))
			case isUnknown(e.Value):
			case strings.TrimSpace(e.Value) == "":
				problems = append(problems, fmt.Sprintf("%s sets an empty %s", c, contract.InstanceIDEnv))
			case !seen[e.Value]:
				seen[e.Value] = true
				instanceIDs = append(instanceIDs, e.Value)
			}
		}
	}
	if required && !hasName {
		problems = append(problems, fmt.Sprintf("no container sets %s=%q", contract.AgentNameEnv, contract.AgentRegistryName))
	}
	if required && !hasID {
		problems = append(problems, fmt.Sprintf("no container sets %s", contract.InstanceIDEnv))
	}
	return problems, instanceIDs
}
