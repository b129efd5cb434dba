package rules

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"go.yaml.in/yaml/v3"
)

// Every rule owns data samples, in the style of gatekeeper-library: testdata/<rule>/suite.yaml
// names cases, each with an allowed and a disallowed manifest under samples/<case>/ and
// the violations the disallowed one must raise. A manifest is a YAML stream of resources
// as the pack sees them; a suite's base stacks (testdata/stacks/) come first, and a sample
// resource with a base resource's URN replaces it. testdata/stacks/dev.yaml is the dev
// stack exactly as the real components emit it (regenerated with -update-samples), so the
// samples are variations of what the program deploys, not of a hand-written likeness.

var updateSamples = flag.Bool("update-samples", false, "rewrite testdata/stacks/dev.yaml from the components' dev stack")

// manifestResource is one document of a manifest.
type manifestResource struct {
	// URN, or Name: the URN is then derived from the parent's (or the stack's) and Type.
	URN  string `yaml:"urn,omitempty"`
	Name string `yaml:"name,omitempty"`
	Type string `yaml:"type"`
	// Parent is a URN, or the name of a component declared earlier (base included).
	Parent       string         `yaml:"parent,omitempty"`
	Dependencies []string       `yaml:"dependencies,omitempty"`
	Props        map[string]any `yaml:"props,omitempty"`
}

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

// readManifest reads a manifest onto the resources read before it (by URN).
func readManifest(path string, stack []*Resource) ([]*Resource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	out := slices.Clone(stack)
	byURN := map[string]int{}
	components := map[string]string{} // name -> URN
	add := func(r *Resource) {
		if i, ok := byURN[r.URN]; ok {
			out[i] = r
		} else {
			byURN[r.URN] = len(out)
			out = append(out, r)
		}
		if !strings.HasPrefix(r.Type, "kubernetes:") && !strings.HasPrefix(r.Type, "random:") {
			components[r.Name()] = r.URN
		}
	}
	for i, r := range out {
		byURN[r.URN] = i
		if !strings.HasPrefix(r.Type, "kubernetes:") && !strings.HasPrefix(r.Type, "random:") {
			components[r.Name()] = r.URN
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var doc manifestResource
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, n, err)
		}
		if doc.Type == "" || (doc.URN == "") == (doc.Name == "") {
			return nil, fmt.Errorf("%s: document %d: needs a type and exactly one of urn and name", path, n)
		}
		parent := doc.Parent
		if parent != "" && !strings.HasPrefix(parent, "urn:") {
			u, ok := components[parent]
			if !ok {
				return nil, fmt.Errorf("%s: document %d: parent %q is no component declared before it", path, n, parent)
			}
			parent = u
		}
		u := doc.URN
		if u == "" {
			var chain []string
			if parent != "" {
				qualified := strings.Split(parent, "::")
				chain = strings.Split(qualified[len(qualified)-2], "$")
			}
			u = childURN(chain, doc.Type, doc.Name)
		}
		props, err := plainJSON(doc.Props)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, n, err)
		}
		add(&Resource{URN: u, Type: doc.Type, Parent: parent, Dependencies: doc.Dependencies, Props: props})
	}
	return out, nil
}

// plainJSON gives YAML values JSON's shapes (numbers float64, maps map[string]any), as the
// rules receive them from the engine.
func plainJSON(m map[string]any) (map[string]any, error) {
	if m == nil {
		return map[string]any{}, nil
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("props: %w", err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("props: %w", err)
	}
	return jsonShapes(v).(map[string]any), nil
}

// jsonShapes converts YAML-decoded values to encoding/json's shapes.
func jsonShapes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonShapes(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonShapes(e)
		}
		return out
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	default:
		return v
	}
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
			if base, err = readManifest(filepath.Join("testdata", b), base); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range s.Cases {
			t.Run(s.Rule+"/"+c.Name, func(t *testing.T) {
				if c.Allowed == "" || c.Disallowed == "" || len(c.Violations) == 0 {
					t.Fatalf("%s: case %q needs allowed, disallowed and violations", path, c.Name)
				}
				allowed, err := readManifest(filepath.Join(dir, c.Allowed), base)
				if err != nil {
					t.Fatal(err)
				}
				if vs := evaluateRule(t, s.Rule, allowed); len(vs) > 0 {
					t.Errorf("allowed sample %s: %s", c.Allowed, describe(vs))
				}
				disallowed, err := readManifest(filepath.Join(dir, c.Disallowed), base)
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

// The base stack is what the components emit: regenerate it with -update-samples after a
// component change (and review the diff), so the samples keep varying the real thing.
func TestDevStackSampleIsWhatTheComponentsEmit(t *testing.T) {
	s := componentsStack(t, devStackConfig(t))
	rs := slices.Clone(s.Resources)
	slices.SortFunc(rs, func(a, b *Resource) int { return strings.Compare(a.URN, b.URN) })
	var buf bytes.Buffer
	buf.WriteString("# The dev stack as the components emit it (Pulumi.dev.yaml under Pulumi's mocks), the base\n" +
		"# of the rules' samples. Generated: go test ./policy/rules -run DevStackSample -update-samples\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, r := range rs {
		deps := slices.Clone(r.Dependencies)
		slices.Sort(deps)
		deps = slices.Compact(deps)
		if err := enc.Encode(manifestResource{URN: r.URN, Type: r.Type, Parent: r.Parent, Dependencies: deps, Props: r.Props}); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	const path = "testdata/stacks/dev.yaml"
	if *updateSamples {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./policy/rules -run DevStackSample -update-samples creates it)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Fatalf("%s is not what the components emit; run go test ./policy/rules -run DevStackSample -update-samples and review the diff", path)
	}
	// Read back, it is the same stack.
	back, err := readManifest(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(rs) {
		t.Fatalf("%s reads back as %d resources, want %d", path, len(back), len(rs))
	}
}
