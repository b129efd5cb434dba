package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/contract"
)

// RuleOneAuthHolder guards the single-refresher invariant: ChatGPT refresh tokens are
// single-use, so exactly one process may refresh an account. The auth pool's credential
// volume (its ChatGPT auth PVC) must therefore be mounted by exactly one workload, a
// Deployment with at most one replica and the Recreate strategy (a rolling update would
// briefly run two LiteLLM pods on the same token file; the original system lost both
// accounts for weeks to spent refresh tokens). Every LiteLLMAuthPool must keep its
// credentials on such a PVC: an emptyDir loses them on every restart and tempts a
// device-code login inside a request, the original ~10-day outage.
//
// The auth PVC is recognised by the graph: a PersistentVolumeClaim child of a
// LiteLLMAuthPool that a workload of the same pool mounts (not by its default name
// litellm-chatgpt-auth). It must be ReadWriteOnce or ReadWriteOncePod: a shared access
// mode lets several pods write the token files at once.
//
// A stack has at most one LiteLLMAuthPool: two pools are two auth surfaces, and nothing
// keeps an operator from logging the same ChatGPT account in at both, which makes two
// refreshers of one single-use refresh token.
const RuleOneAuthHolder = "one-auth-holder"

func oneAuthHolderPolicy() policyx.Policy {
	return policyx.NewStackValidationPolicy(RuleOneAuthHolder, policyx.StackValidationPolicyArgs{
		Description: "One LiteLLMAuthPool per stack; its ReadWriteOnce ChatGPT credential PVC is mounted by exactly one workload: " +
			"a Deployment with at most 1 replica and strategy Recreate (refresh tokens are single-use: one refresher).",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			report(args.Manager, CheckOneAuthHolder(stackFromAnalyzer(args.Resources)))
			return nil
		},
	})
}

// CheckOneAuthHolder returns the violations of the one-auth-holder rule.
func CheckOneAuthHolder(s *Stack) []Violation {
	var out []Violation
	auth := s.authPVCs()

	var pools []*Resource
	for _, r := range s.Resources {
		if r.Type == contract.LiteLLMAuthPoolType {
			pools = append(pools, r)
		}
	}
	if len(pools) > 1 {
		names := make([]string, 0, len(pools))
		for _, p := range pools {
			names = append(names, quote(p.Name()))
		}
		for _, p := range pools {
			out = append(out, Violation{URN: p.URN, Message: fmt.Sprintf(
				"this stack declares %d LiteLLMAuthPools (%s); it may have one: every pool is an auth surface, and the same "+
					"ChatGPT account logged in at two pools has two refreshers of its single-use refresh token.",
				len(pools), strings.Join(names, ", "))})
		}
	}
	for _, p := range auth {
		if len(p.AccessModes) > 0 && !slices.Contains(p.AccessModes, "ReadWriteOnce") && !slices.Contains(p.AccessModes, "ReadWriteOncePod") {
			out = append(out, Violation{URN: p.Res.URN, Message: fmt.Sprintf(
				"the auth PVC %s has access modes %s; it must be ReadWriteOnce or ReadWriteOncePod, so that one pod at a time writes the token files.",
				quote(p.Key.String()), strings.Join(p.AccessModes, ", "))})
		}
	}

	for _, r := range pools {
		found := false
		for _, p := range auth {
			if p.Owner == "" || p.Owner == r.URN {
				found = true
			}
		}
		if !found {
			out = append(out, Violation{URN: r.URN, Message: fmt.Sprintf(
				"LiteLLMAuthPool %q has no PersistentVolumeClaim child mounted by its workload: the ChatGPT "+
					"credentials must live on a PVC owned by the pool (not an emptyDir, not a PVC from elsewhere).", r.Name())})
		}
	}

	workloads := s.workloads()
	for _, p := range auth {
		var holders []StackWorkload
		for _, sw := range workloads {
			if sw.addsClaim(p) {
				holders = append(holders, sw)
			}
		}
		if len(holders) > 1 {
			names := make([]string, 0, len(holders))
			for _, h := range holders {
				names = append(names, h.String())
			}
			for _, h := range holders {
				out = append(out, Violation{URN: h.Res.URN, Message: fmt.Sprintf(
					"the auth PVC %s is mounted by %d workloads (%s); exactly one may hold the ChatGPT credentials.",
					quote(p.Key.String()), len(holders), strings.Join(names, ", "))})
			}
		}
		for _, h := range holders {
			if problems := singleHolderProblems(h.W); len(problems) > 0 {
				out = append(out, Violation{URN: h.Res.URN, Message: fmt.Sprintf(
					"%s holds the auth PVC %s, so it %s.",
					h, quote(p.Key.String()), strings.Join(problems, " and "))})
			}
		}
	}
	return out
}

// singleHolderProblems lists why a workload cannot be the single holder of a volume: it
// must be a Deployment with at most one replica and the Recreate strategy.
func singleHolderProblems(w Workload) []string {
	if w.Kind != "Deployment" {
		return []string{fmt.Sprintf("must be a Deployment (with 1 replica and strategy Recreate), not a %s", w.Kind)}
	}
	var problems []string
	if w.Replicas != nil && *w.Replicas > 1 {
		problems = append(problems, fmt.Sprintf("must run at most 1 replica (has %d)", *w.Replicas))
	}
	if w.Strategy != "Recreate" {
		got := w.Strategy
		if got == "" {
			got = "unset, i.e. RollingUpdate"
		}
		problems = append(problems, fmt.Sprintf("must use spec.strategy.type Recreate (is %s)", got))
	}
	return problems
}
