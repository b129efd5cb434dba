package rules

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"go.yaml.in/yaml/v3"
)

// Every rule owns data samples, in the style of gatekeeper-library: testdata/<rule>/suite.yaml
// names cases, each with an allowed and a disallowed manifest under samples/<case>/ and
// the violations the disallowed one must raise. A manifest is a YAML stream of resources
// as the pack sees them; a suite's base stacks (testdata/stacks/) come first, and a sample
// resource with a base resource's URN replaces it. testdata/stacks/dev.yaml is the dev
// stack exactly as the real program registers it (the root package's
// TestDevStackSampleIsWhatTheProgramRegisters pins it), so the samples are variations of
// what the program deploys, not of a hand-written likeness.

// suite is a rule's suite.yaml.
type suite struct {
	Rule  string   `yaml:"rule"`
	Base  []string `yaml:"base"` // manifests relative to testdata/, loaded before each sample
	Cases []struct {
		Name       string `yaml:"name"`
		Allowed    string `yaml:"allowed"`
		Disallowed string `yaml:"disallowed"`
		// Violations are what the disallowed sample raises, one or more per resource; the
		// allowed one raises none.
		Violations []struct {
			Resource string `yaml:"resource"`       // the URN's name
			Type     string `yaml:"type,omitempty"` // the resource's type, where the name is ambiguous
			Message  string `yaml:"message"`        // a substring of the message
		} `yaml:"violations"`
	} `yaml:"cases"`
}

// evaluateRule runs one rule the way Evaluate runs them all.
func evaluateRule(t *testing.T, name string, rs []*Resource) []Violation {
	t.Helper()
	var p policyx.Policy
	for _, q := range Policies() {
		if q.Name() == name {
			p = q
		}
	}
	if p == nil {
		t.Fatalf("no rule %q", name)
	}
	resources := stackToAnalyzer(t, NewStack(rs), secretPaths{"data": true, "stringData": true})
	rec := &violationRecorder{}
	if err := evaluatePolicy(context.Background(), p, resources, rec); err != nil {
		t.Fatal(err)
	}
	return rec.vs
}

func TestRuleSamples(t *testing.T) {
	paths, err := filepath.Glob("testdata/*/suite.yaml")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, path := range paths {
		dir := filepath.Dir(path)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var s suite
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if s.Rule != filepath.Base(dir) || len(s.Cases) == 0 {
			t.Fatalf("%s: rule %q with %d cases; a suite lives in testdata/<rule>/ and has cases", path, s.Rule, len(s.Cases))
		}
		covered[s.Rule] = true
		var base []*Resource
		for _, b := range s.Base {
			if base, err = ReadManifest(filepath.Join("testdata", b), base); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range s.Cases {
			t.Run(s.Rule+"/"+c.Name, func(t *testing.T) {
				if c.Allowed == "" || c.Disallowed == "" || len(c.Violations) == 0 {
					t.Fatalf("%s: case %q needs allowed, disallowed and violations", path, c.Name)
				}
				allowed, err := ReadManifest(filepath.Join(dir, c.Allowed), base)
				if err != nil {
					t.Fatal(err)
				}
				if vs := evaluateRule(t, s.Rule, allowed); len(vs) > 0 {
					t.Errorf("allowed sample %s: %s", c.Allowed, describe(vs))
				}
				disallowed, err := ReadManifest(filepath.Join(dir, c.Disallowed), base)
				if err != nil {
					t.Fatal(err)
				}
				vs := evaluateRule(t, s.Rule, disallowed)
				want := map[string][]string{}
				for _, v := range c.Violations {
					var urns []string
					for _, r := range disallowed {
						if r.Name() == v.Resource && (v.Type == "" || r.Type == v.Type) {
							urns = append(urns, r.URN)
						}
					}
					if len(urns) != 1 {
						t.Fatalf("%s: case %q: %d resources named %q (type %q) in %s and its base, want 1", path, c.Name, len(urns), v.Resource, v.Type, c.Disallowed)
					}
					u := urns[0]
					want[u] = append(want[u], v.Message)
				}
				assertViolations(t, vs, want)
			})
		}
	}
	for _, p := range Policies() {
		if !covered[p.Name()] {
			t.Errorf("rule %s has no testdata/%s/suite.yaml", p.Name(), p.Name())
		}
	}
}

// A platform team's stack holds many ordinary workloads beside cloud-codex: what widely
// used charts render (ingress-nginx, cert-manager, Prometheus, Grafana, Bitnami Postgres
// and Redis, Argo Rollouts, a GitHub Actions runner, Vault-injected apps, fluent-bit…) and
// apps with other vendors' keys, non-OpenAI JWTs and innocent configs. Each
// testdata/platform/<class>/allowed.yaml, added to the dev stack, must pass every rule of
// the pack (the false-positive sweep; the look-alikes that must still fail are the rules'
// suite cases).
func TestPlatformSamplesPassThePack(t *testing.T) {
	paths, err := filepath.Glob("testdata/platform/*/allowed.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no platform samples (%v)", err)
	}
	base, err := ReadManifest("testdata/stacks/dev.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			rs, err := ReadManifest(path, base)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range Policies() {
				if vs := evaluateRule(t, p.Name(), rs); len(vs) > 0 {
					t.Errorf("%s: %s", p.Name(), describe(vs))
				}
			}
		})
	}
}
