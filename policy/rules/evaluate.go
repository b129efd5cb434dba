package rules

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Evaluate runs every rule of Policies() over a stack's resources the way the engine does:
// each resource rule on each resource, each stack rule once on all of them, every rule
// with its default config. It returns the violations by rule name, each with the URN it
// names (a resource rule's own resource when it names none).
//
// It exists so that a program's tests can ask for the pack's verdict on what the program
// really registers (the root package feeds it the program's registrations under Pulumi's
// mocks) without the analyzer protocol or a pack binary.
func Evaluate(ctx context.Context, resources []policyx.AnalyzerResource) (map[string][]Violation, error) {
	out := map[string][]Violation{}
	for _, p := range Policies() {
		rec := &violationRecorder{}
		if err := evaluatePolicy(ctx, p, resources, rec); err != nil {
			return nil, err
		}
		if len(rec.vs) > 0 {
			out[p.Name()] = rec.vs
		}
	}
	return out, nil
}

// evaluatePolicy runs one rule over the resources, reporting to rec.
func evaluatePolicy(ctx context.Context, p policyx.Policy, resources []policyx.AnalyzerResource, rec *violationRecorder) error {
	switch p := p.(type) {
	case policyx.StackValidationPolicy:
		if err := p.Validate(ctx, policyx.StackValidationArgs{Manager: rec, Resources: resources}); err != nil {
			return fmt.Errorf("stack rule %s: %w", p.Name(), err)
		}
	case policyx.ResourceValidationPolicy:
		for _, r := range resources {
			before := len(rec.vs)
			if err := p.Validate(ctx, policyx.ResourceValidationArgs{Manager: rec, Resource: r}); err != nil {
				return fmt.Errorf("resource rule %s on %s: %w", p.Name(), r.URN, err)
			}
			for i := before; i < len(rec.vs); i++ {
				if rec.vs[i].URN == "" {
					rec.vs[i].URN = r.URN
				}
			}
		}
	default:
		return fmt.Errorf("rule %s is neither a resource nor a stack rule (%T)", p.Name(), p)
	}
	return nil
}

// violationRecorder is the policyx.PolicyManager of Evaluate: it keeps what the rules report.
type violationRecorder struct{ vs []Violation }

func (r *violationRecorder) ReportViolation(message, urn string) {
	r.vs = append(r.vs, Violation{URN: urn, Message: message})
}
