package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"cloud-codex/internal/testsupport"
)

var update = flag.Bool("update", false, "rewrite testdata/dev-objects.golden")

// devStackConfig reads Pulumi.dev.yaml into the engine's form: full keys, structured values
// as JSON.
func devStackConfig(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("Pulumi.dev.yaml")
	require.NoError(t, err)
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &file))
	out := map[string]string{}
	for k, v := range file.Config {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		out[k] = string(b)
	}
	return out
}

type registration struct {
	typ, name, parent string
	// was are the identities the resource had before a rename or a move (its aliases),
	// as "name <- parent".
	was []string
}

// recorder keeps every registration of the program, both as the golden object list reads
// it and as the policy engine would receive it (main_policy_test.go).
type recorder struct {
	mu       sync.Mutex
	all      []registration
	analyzed []policyx.AnalyzerResource
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	parent := ""
	if args.RegisterRPC != nil {
		parent = args.RegisterRPC.GetParent()
	}
	analyzed := analyzerResource(args)
	reg := registration{typ: args.TypeToken, name: args.Name, parent: parent}
	if args.RegisterRPC != nil {
		for _, a := range args.RegisterRPC.GetAliases() {
			if testsupport.ProgramAlias(a) {
				reg.was = append(reg.was, aliasLabel(a, args.Name, parent))
			}
		}
	}
	r.mu.Lock()
	r.all = append(r.all, reg)
	r.analyzed = append(r.analyzed, analyzed)
	r.mu.Unlock()
	outputs := args.Inputs.Copy()
	if args.TypeToken == "random:index/randomPassword:RandomPassword" {
		outputs["result"] = resource.MakeSecret(resource.NewStringProperty("AbCdEf0123456789"))
	}
	return args.Name + "-id", outputs, nil
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func runWithConfig(t *testing.T, config map[string]string) (*recorder, error) {
	t.Helper()
	env, err := json.Marshal(config)
	require.NoError(t, err)
	t.Setenv(pulumi.EnvConfig, string(env))
	t.Setenv("KUBECONFIG", "")
	rec := &recorder{}
	err = pulumi.RunErr(program, pulumi.WithMocks("cloud-codex", "dev", rec), func(info *pulumi.RunInfo) {
		info.Config = config
	})
	return rec, err
}

// The dev stack's object list (type, name, parent) is pinned, so any change to what the
// program declares shows up in review as a diff of testdata/dev-objects.golden.
func TestDevStackObjectsGolden(t *testing.T) {
	rec, err := runWithConfig(t, devStackConfig(t))
	require.NoError(t, err)
	var lines []string
	for _, r := range rec.all {
		parent := "-"
		if r.parent != "" {
			parent = urnLabel(r.parent)
		}
		line := fmt.Sprintf("%s %s <- %s", r.typ, r.name, parent)
		for _, w := range r.was {
			line += "  [was " + w + "]"
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		require.NoError(t, os.WriteFile("testdata/dev-objects.golden", []byte(got), 0o644))
	}
	want, err := os.ReadFile("testdata/dev-objects.golden")
	require.NoError(t, err, "run `go test . -run Golden -update` to create it")
	require.Equal(t, string(want), got, "the dev stack's objects changed; if intended, run `go test . -run Golden -update` and review the diff")
}

// aliasLabel renders an alias of the resource name (child of parent) as "name <- parent",
// filling in what the engine would: the same name and parent when the alias leaves them out.
func aliasLabel(a *pulumirpc.Alias, name, parent string) string {
	if u := a.GetUrn(); u != "" {
		return "urn " + u
	}
	spec := a.GetSpec()
	if spec.GetName() != "" {
		name = spec.GetName()
	}
	switch {
	case spec.GetNoParent():
		parent = "-"
	case spec.GetParentUrn() != "":
		parent = urnLabel(spec.GetParentUrn())
	case parent != "":
		parent = urnLabel(parent)
	default:
		parent = "-"
	}
	if spec.GetType() != "" {
		name = spec.GetType() + " " + name
	}
	return name + " <- " + parent
}

// urnLabel shortens a parent URN to "type::name".
func urnLabel(urn string) string {
	parts := strings.Split(urn, "::")
	typ := parts[len(parts)-2]
	if i := strings.LastIndex(typ, "$"); i >= 0 {
		typ = typ[i+1:]
	}
	return typ + "::" + parts[len(parts)-1]
}

// Bad stack configs fail before any resource is registered, with the key path, no panic.
func TestBadConfigRegistersNothing(t *testing.T) {
	for _, tc := range []struct{ key, value, path string }{
		{"cloud-codex:agents", `[{"name": "cody", "replicas": 3, "registry": {"apiUrl": "https://x", "podId": "p"}}]`, "cloud-codex:agents[0].replicas"},
		{"cloud-codex:litellm", `{"accounts": {"inRotation": [1], "reserved": [1]}, "database": {"inCluster": {}}}`, "cloud-codex:litellm.accounts"},
		{"cloud-codex:clsuter", `{}`, "cloud-codex:clsuter"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			cfg := devStackConfig(t)
			cfg[tc.key] = tc.value
			rec, err := runWithConfig(t, cfg)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.path)
			require.Empty(t, rec.all, "nothing may be registered")
		})
	}
}
