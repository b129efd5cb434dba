package components

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every exported field of the component args, nested ones included, names its input in a
// pulumi tag spelled as its config key (json tag), so a program and a stack file cannot
// drift apart. Types of other modules (Kubernetes' Toleration, Affinity) are theirs.
func TestArgsPulumiTagsSpellTheConfigKeys(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ.PkgPath() != reflect.TypeFor[SecretRef]().PkgPath() || seen[typ] {
			return
		}
		seen[typ] = true
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			where := path + "." + f.Name
			name, ok := f.Tag.Lookup("pulumi")
			require.True(t, ok, "%s has no pulumi tag", where)
			if name == "-" {
				continue // a resource handed over in Go, not an input
			}
			if j, ok := f.Tag.Lookup("json"); ok && j != "-" {
				require.Equal(t, strings.Split(j, ",")[0], name, "%s: pulumi and json tags differ", where)
			}
			walk(where, f.Type)
		}
	}
	for _, args := range []any{
		CloudCodexAgentArgs{}, LiteLLMAuthPoolArgs{}, AgentEgressArgs{},
		LiteLLMKeyRegistrarArgs{}, CloudCodexAgentScriptsArgs{}, DevDatabaseArgs{},
	} {
		walk(reflect.TypeOf(args).Name(), reflect.TypeOf(args))
	}
}
