package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"go.yaml.in/yaml/v3"
)

// Manifests are stacks as data: the rules' samples (testdata/) and the dev stack as the
// program registers it, so that a sample varies what the program really deploys and a
// test outside this package can write that stack down.

// ManifestResource is one document of a manifest: a resource as the pack sees it, written
// by hand (a rule sample) or by WriteManifest (a stack the program registered).
type ManifestResource struct {
	// URN, or Name: the URN is then derived from the parent's (or the stack's) and Type.
	URN  string `yaml:"urn,omitempty"`
	Name string `yaml:"name,omitempty"`
	Type string `yaml:"type"`
	// Parent is a URN, or the name of a component declared earlier (base included).
	Parent       string         `yaml:"parent,omitempty"`
	Dependencies []string       `yaml:"dependencies,omitempty"`
	Props        map[string]any `yaml:"props,omitempty"`
}

// manifestStackPrefix starts the URN of a top-level resource a manifest names without a
// URN: the samples are variations of the dev stack of this project.
const manifestStackPrefix = "urn:pulumi:dev::cloud-codex::"

// ReadManifest reads a manifest (a YAML stream of ManifestResource) onto the resources
// read before it: a resource with the URN of an earlier one replaces it. Rule samples and
// tests use it; the pack itself never reads files.
func ReadManifest(path string, stack []*Resource) ([]*Resource, error) {
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
		var doc ManifestResource
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
			u = manifestStackPrefix + doc.Type + "::" + doc.Name
			if parent != "" {
				// urn:pulumi:<stack>::<project>::<qualified parent type>::<name>
				parts := strings.Split(parent, "::")
				u = strings.Join(parts[:len(parts)-2], "::") + "::" + parts[len(parts)-2] + "$" + doc.Type + "::" + doc.Name
			}
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

// ResourcesOf converts what the engine sends the pack into the rules' resources.
func ResourcesOf(rs []policyx.AnalyzerResource) []*Resource {
	out := make([]*Resource, 0, len(rs))
	for _, r := range rs {
		out = append(out, resourceFromAnalyzer(r))
	}
	return out
}

// WriteManifest writes resources as a manifest ReadManifest reads back, in URN order with
// sorted dependencies, so that the same stack always gives the same bytes.
func WriteManifest(w io.Writer, header string, rs []*Resource) error {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b *Resource) int { return strings.Compare(a.URN, b.URN) })
	var buf bytes.Buffer
	for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		buf.WriteString("# " + line + "\n")
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, r := range rs {
		deps := slices.Clone(r.Dependencies)
		slices.Sort(deps)
		deps = slices.Compact(deps)
		if err := enc.Encode(ManifestResource{URN: r.URN, Type: r.Type, Parent: r.Parent, Dependencies: deps, Props: r.Props}); err != nil {
			return fmt.Errorf("encoding %s: %w", r.URN, err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing manifest: %w", err)
	}
	return nil
}
