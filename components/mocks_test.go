package components

import (
	"slices"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"

	"cloud-codex/internal/testsupport"
)

// awaitOutputs waits for a component's outputs inside the mocked program run, so a test can
// assert on their resolved values (and whether they are known or secret).
func awaitOutputs(ctx *pulumi.Context, outputs map[string]pulumi.Output) (map[string]internals.UnsafeAwaitOutputResult, error) {
	got := make(map[string]internals.UnsafeAwaitOutputResult, len(outputs))
	for name, o := range outputs {
		res, err := internals.UnsafeAwaitOutput(ctx.Context(), o)
		if err != nil {
			return nil, err
		}
		got[name] = res
	}
	return got, nil
}

// mockRandomPassword is every RandomPassword's result under the mocks.
const mockRandomPassword = "AbCdEf0123456789"

// recordedResource is one registration as the mock monitor saw it.
type recordedResource struct {
	Type, Name    string
	Custom        bool
	Inputs        resource.PropertyMap
	Parent        string
	Protect       bool
	Retain        bool
	IgnoreChanges []string
	Deps          []string // URNs of explicit dependencies (DependsOn)
	// PropertyDeps are, per top-level input, the URNs of the resources whose outputs it took.
	PropertyDeps map[string][]string
	// RenamedFrom are the names (and parent URNs, "" for the same parent) of the program's
	// own aliases; the Kubernetes SDK's aliases to older API versions are left out.
	RenamedFrom []renamedFrom
	Plain       map[string]any // Inputs with secrets and outputs unwrapped
}

// renamedFrom is an alias: the child's earlier name (or "" for unchanged) and its earlier
// parent's URN (or "" for the same parent).
type renamedFrom struct{ Name, Parent string }

// mockMonitor records every registration; outputs echo inputs, and random passwords get a
// fixed secret result.
type mockMonitor struct {
	mu  sync.Mutex
	res []recordedResource
}

func (m *mockMonitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := recordedResource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Protect = rpc.GetProtect()
		r.Retain = rpc.GetRetainOnDelete()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.Deps = rpc.GetDependencies()
		for prop, deps := range rpc.GetPropertyDependencies() {
			if r.PropertyDeps == nil {
				r.PropertyDeps = map[string][]string{}
			}
			r.PropertyDeps[prop] = deps.GetUrns()
		}
		for _, a := range rpc.GetAliases() {
			if testsupport.ProgramAlias(a) {
				r.RenamedFrom = append(r.RenamedFrom, renamedFrom{Name: a.GetSpec().GetName(), Parent: a.GetSpec().GetParentUrn()})
			}
		}
	}
	r.Plain, _ = plainValue(resource.NewObjectProperty(args.Inputs)).(map[string]any)
	m.mu.Lock()
	m.res = append(m.res, r)
	m.mu.Unlock()
	outputs := args.Inputs.Copy()
	if args.TypeToken == "random:index/randomPassword:RandomPassword" {
		outputs["result"] = resource.MakeSecret(resource.NewStringProperty(mockRandomPassword))
	}
	return args.Name + "-id", outputs, nil
}

// runUnderMocks runs a program under a fresh mockMonitor and returns what it recorded.
func runUnderMocks(program func(ctx *pulumi.Context) error) (*mockMonitor, error) {
	m := &mockMonitor{}
	return m, pulumi.RunErr(program, pulumi.WithMocks("cloud-codex", "dev", m))
}

func (m *mockMonitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func (m *mockMonitor) resources() []recordedResource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]recordedResource(nil), m.res...)
}

// k8s returns the Kubernetes object of type typ whose metadata.name is name.
func (m *mockMonitor) k8s(t *testing.T, typ, name string) recordedResource {
	t.Helper()
	for _, res := range m.resources() {
		if res.Type == typ {
			if meta, ok := res.Plain["metadata"].(map[string]any); ok && meta["name"] == name {
				return res
			}
		}
	}
	require.Failf(t, "missing object", "%s %q not registered", typ, name)
	return recordedResource{}
}

// plainValue turns a property value into plain Go values (secrets and outputs unwrapped).
func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plainValue(v.SecretValue().Element)
	case v.IsOutput():
		return plainValue(v.OutputValue().Element)
	case v.IsComputed():
		return "<computed>"
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = plainValue(e)
		}
		return out
	case v.IsArray():
		out := []any{}
		for _, e := range v.ArrayValue() {
			out = append(out, plainValue(e))
		}
		return out
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	}
	return nil
}

// at walks maps (string keys) and slices (int indices); it fails the test on a miss.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			require.Truef(t, ok, "want an object at %v, got %T", p, v)
			v, ok = m[k]
			if !ok {
				keys := make([]string, 0, len(m))
				for key := range m {
					keys = append(keys, key)
				}
				slices.Sort(keys)
				require.Failf(t, "missing key", "no key %q in %v", k, keys)
			}
		case int:
			s, ok := v.([]any)
			require.Truef(t, ok, "want an array at %v, got %T", p, v)
			require.Less(t, k, len(s))
			v = s[k]
		}
	}
	return v
}
