package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"

	"cloud-codex/components"
)

// docs/config-reference.md is written by hand, because a key's meaning needs prose, and is
// kept from drifting by the tests below, which read the tagged tree (Stack and the
// components' args it holds) and the reference's tables: every key has a row, every row is
// a key, every row says what the key means, its type cell is one of referenceTypes and fits
// the key's Go type, and every default a row states as one literal (a single `code` span) is
// the default the code applies.

const referencePath = "../docs/config-reference.md"

// referenceRow is one row of a key table: | `key` | type | default | meaning |, or
// | `key` | meaning | in the placement table (relative to a placement key).
type referenceRow struct {
	key, typ, def, meaning string
	relative               bool
}

var referenceRowRE = regexp.MustCompile("^\\| `([^`]+)` \\|")

func readReference(t *testing.T) []referenceRow {
	t.Helper()
	b, err := os.ReadFile(referencePath)
	require.NoError(t, err)
	var rows []referenceRow
	for _, line := range strings.Split(string(b), "\n") {
		m := referenceRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cells := strings.Split(strings.TrimSpace(line), "|")
		cells = cells[1 : len(cells)-1]
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		row := referenceRow{key: m[1]}
		switch len(cells) {
		case 2:
			row.relative, row.meaning = true, cells[1]
		case 4:
			row.typ, row.def, row.meaning = cells[1], cells[2], cells[3]
		default:
			t.Fatalf("%s: a key row has 2 or 4 cells, got %d: %s", referencePath, len(cells), line)
		}
		rows = append(rows, row)
	}
	require.NotEmpty(t, rows)
	return rows
}

// matches reports whether a row's key names key: `<list>` stands for any one key
// (egress.<list>[].cidr), `<id>` for a map's entries, as the walk below writes them.
func (r referenceRow) matches(key string) bool {
	if r.relative {
		return strings.HasSuffix(key, "."+r.key)
	}
	pattern := strings.ReplaceAll(regexp.QuoteMeta(r.key), "<list>", "[A-Za-z]+")
	return regexp.MustCompile("^" + pattern + "$").MatchString(key)
}

// configNode is one key of the tagged tree with its value in a stack (present false when
// the stack has no value there: a nil pointer, an empty list or map).
type configNode struct {
	key     string
	value   reflect.Value
	present bool
	leaf    bool
}

// walkConfig lists every key under prefix: struct fields by their json names, `[]` for a
// list's items, `.<id>` for a map's entries. Kubernetes' own types (placement's tolerations
// and affinity) are leaves: they are documented upstream.
func walkConfig(prefix string, v reflect.Value, present bool, out *[]configNode) {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if present && !v.IsNil() {
			v = v.Elem()
		} else {
			v, present = reflect.Zero(t.Elem()), false
		}
		t = v.Type()
	}
	ours := func(t reflect.Type) bool {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return t.Kind() == reflect.Struct && strings.HasPrefix(t.PkgPath(), "cloud-codex/")
	}
	node := configNode{key: prefix, value: v, present: present}
	switch {
	case t.Kind() == reflect.Struct && ours(t):
		*out = append(*out, node)
		for name := range jsonFields(t) {
			f, _ := structFieldByJSONName(v, name)
			key := name
			if prefix != "" {
				key = prefix + "." + name
			}
			walkConfig(key, f, present, out)
		}
	case t.Kind() == reflect.Slice && ours(t.Elem()):
		*out = append(*out, node)
		if present && v.Len() > 0 {
			walkConfig(prefix+"[]", v.Index(0), true, out)
		} else {
			walkConfig(prefix+"[]", reflect.Zero(t.Elem()), false, out)
		}
	case t.Kind() == reflect.Map && ours(t.Elem()):
		*out = append(*out, node)
		if present && v.Len() > 0 {
			keys := v.MapKeys()
			sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
			walkConfig(prefix+".<id>", v.MapIndex(keys[0]), true, out)
		} else {
			walkConfig(prefix+".<id>", reflect.Zero(t.Elem()), false, out)
		}
	default:
		node.leaf = true
		*out = append(*out, node)
	}
}

// structFieldByJSONName finds the field (possibly of an embedded struct) with that json name.
func structFieldByJSONName(v reflect.Value, name string) (reflect.Value, bool) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Anonymous && tag == "" {
			if inner, ok := structFieldByJSONName(v.Field(i), name); ok {
				return inner, true
			}
		}
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// effectiveSample is a stack with every optional object present (both databases, an MCP
// server, runner.git, an egress rule) and every default the code applies filled in.
func effectiveSample(t *testing.T) Stack {
	t.Helper()
	var s Stack
	require.NoError(t, json.Unmarshal([]byte(`{
		"litellm": {"database": {"existingSecret": {"name": "db"}, "inCluster": {}},
		            "models": [{"alias": "codex-cli/gpt-5.4", "upstream": "chatgpt/gpt-5.4"},
		                       {"alias": "gpt-4.1", "upstream": "openai/gpt-4.1", "apiKeySecret": {"name": "openai"}}]},
		"agents": [{"name": "cody", "codex": {"mcpServers": {"tools": {"command": "tools-mcp"}}},
		            "runner": {"git": {"url": "https://example.com/r.git", "ref": "`+testSHA+`"}},
		            "registry": {"apiUrl": "https://api.example.com", "podId": "p"}}],
		"egress": {"platformApi": [{"cidr": "203.0.113.10/32"}], "npmRegistry": [{"cidr": "203.0.113.11/32"}], "allow": [{"cidr": "203.0.113.12/32"}]}
	}`), &s))
	s = s.withDefaults().withStackValues()
	s.LiteLLM = s.LiteLLM.WithDefaults()
	for i := range s.Agents {
		s.Agents[i] = s.Agents[i].WithDefaults()
	}
	for _, rules := range [][]components.EgressRule{s.Egress.PlatformAPI, s.Egress.NPMRegistry, s.Egress.Allow} {
		for i := range rules {
			rules[i] = rules[i].WithDefaults()
		}
	}
	enabled := s.EgressEnabled()
	s.Egress.Enabled = &enabled
	return s
}

func TestConfigReferenceHasARowForEveryKeyAndAKeyForEveryRow(t *testing.T) {
	rows := readReference(t)
	var nodes []configNode
	walkConfig("", reflect.ValueOf(Stack{}), false, &nodes)
	rowFor := func(key string) (referenceRow, bool) {
		i := slices.IndexFunc(rows, func(r referenceRow) bool { return !r.relative && r.matches(key) })
		if i < 0 {
			return referenceRow{}, false
		}
		return rows[i], true
	}
	for _, n := range nodes {
		if !n.leaf || n.key == "" {
			continue
		}
		if _, ok := rowFor(n.key); ok || coveredByAncestor(n.key, rows, rowFor) {
			continue
		}
		t.Errorf("%s has no row for key %s (the tagged tree has it): add one", referencePath, n.key)
	}
	for _, r := range rows {
		if !slices.ContainsFunc(nodes, func(n configNode) bool { return n.key != "" && r.matches(n.key) }) {
			t.Errorf("%s has a row for %s, which is not a key of the tagged tree: remove or rename it", referencePath, r.key)
		}
	}
}

// coveredByAncestor: a row of an object key documents the keys under it elsewhere (an
// `object` row such as agents[].placement points to the placement table's rows), or in its
// type cell (`{name, key}`).
func coveredByAncestor(key string, rows []referenceRow, rowFor func(string) (referenceRow, bool)) bool {
	for parent := key; ; {
		i := strings.LastIndexAny(parent, ".[")
		if i <= 0 {
			return false
		}
		parent = parent[:i]
		row, ok := rowFor(parent)
		if !ok {
			continue
		}
		rest := key[len(parent):]
		last := rest[strings.LastIndexAny(rest, ".]")+1:]
		switch {
		case strings.Contains(row.typ, "{"):
			return regexp.MustCompile(`\b` + regexp.QuoteMeta(last) + `\b`).MatchString(row.typ)
		case row.typ == "object":
			base := parent[strings.LastIndexAny(parent, ".]")+1:]
			rel := base + rest
			return slices.ContainsFunc(rows, func(r referenceRow) bool { return r.relative && r.key == rel })
		}
	}
}

// literalDefaultRE is a default cell that is one literal, optionally explained in
// parentheses: `1Gi`, `""` (cluster default). Prose defaults are not compared.
var literalDefaultRE = regexp.MustCompile("^`([^`]*)`(?: \\(.*\\))?$")

func TestConfigReferenceDefaultsAreTheCodes(t *testing.T) {
	rows := readReference(t)
	s := effectiveSample(t)
	var nodes []configNode
	walkConfig("", reflect.ValueOf(s), true, &nodes)
	valueOf := func(key string) (string, bool) {
		for _, n := range nodes {
			if n.key == key && n.leaf && n.present {
				return renderDefault(n.value), true
			}
		}
		return "", false
	}
	checked := 0
	for _, r := range rows {
		m := literalDefaultRE.FindStringSubmatch(r.def)
		if r.relative || m == nil {
			continue
		}
		want := strings.ReplaceAll(m[1], "<name>", s.Agents[0].Name)
		// A default that is another key's value: `litellm.responsesAlias`, `[agents[].codex.model]`.
		if v, ok := valueOf(want); ok {
			want = v
		} else if inner, ok := strings.CutPrefix(want, "["); ok {
			if v, ok := valueOf(strings.TrimSuffix(inner, "]")); ok {
				want = fmt.Sprintf("[%q]", v)
			}
		}
		for _, n := range nodes {
			if !n.leaf || !n.present || !r.matches(n.key) {
				continue
			}
			checked++
			if got := renderDefault(n.value); got != want {
				t.Errorf("%s: %s defaults to `%s` in the code, the reference says `%s`", referencePath, n.key, got, m[1])
			}
		}
	}
	require.Greater(t, checked, 40, "the reference's literal defaults were not found: did its table layout change?")
}

// renderDefault writes a value the way the reference writes defaults.
func renderDefault(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "null"
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		if v.String() == "" {
			return `""`
		}
		return v.String()
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			if e := v.Index(i); e.Kind() == reflect.String {
				items[i] = fmt.Sprintf("%q", e.String())
			} else {
				items[i] = fmt.Sprint(e.Interface())
			}
		}
		return "[" + strings.Join(items, ", ") + "]"
	case reflect.Map:
		if v.Len() == 0 {
			return "{}"
		}
	}
	return fmt.Sprint(v.Interface())
}

// referenceTypes are the type cells the reference uses, each with the Go types it may
// describe (pointers are looked through: *int is an int that may be left out). The string
// kinds that carry a format (quantity, Go duration, URL) are also held to it by the values
// the code applies (TestConfigReferenceTypesAreTheCodes).
var referenceTypes = map[string]func(t reflect.Type) bool{
	"string":      kindIs(reflect.String),
	"URL":         kindIs(reflect.String),
	"quantity":    kindIs(reflect.String),
	"Go duration": kindIs(reflect.String),
	"int":         kindIs(reflect.Int),
	"bool":        kindIs(reflect.Bool),
	"object":      kindIs(reflect.Struct),
	// A list of objects, whose keys have rows of their own (litellm.models[].alias).
	"list":                     sliceOf(kindIs(reflect.Struct)),
	"list of rules":            sliceOf(kindIs(reflect.Struct)),
	"list of strings":          sliceOf(kindIs(reflect.String)),
	"list of ints":             sliceOf(kindIs(reflect.Int)),
	"map string → string":      mapOf(kindIs(reflect.String)),
	"`{name, key}`":            isSecretRef,
	"map name → `{name, key}`": mapOf(isSecretRef),
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func kindIs(k reflect.Kind) func(reflect.Type) bool {
	return func(t reflect.Type) bool { return deref(t).Kind() == k }
}

func sliceOf(item func(reflect.Type) bool) func(reflect.Type) bool {
	return func(t reflect.Type) bool { t = deref(t); return t.Kind() == reflect.Slice && item(t.Elem()) }
}

func mapOf(value func(reflect.Type) bool) func(reflect.Type) bool {
	return func(t reflect.Type) bool {
		t = deref(t)
		return t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && value(t.Elem())
	}
}

// isSecretRef: an object of exactly the keys name and key.
func isSecretRef(t reflect.Type) bool {
	t = deref(t)
	if t.Kind() != reflect.Struct {
		return false
	}
	return slices.Equal(slices.Sorted(maps.Keys(jsonFields(t))), []string{"key", "name"})
}

func TestConfigReferenceRowsHaveAMeaningAndTheGoType(t *testing.T) {
	rows := readReference(t)
	var nodes []configNode
	walkConfig("", reflect.ValueOf(Stack{}), false, &nodes)
	known := slices.Sorted(maps.Keys(referenceTypes))
	typed := 0
	for _, r := range rows {
		if strings.Trim(r.meaning, " -—") == "" {
			t.Errorf("%s: the row of %s says nothing in its meaning cell: say what the key does", referencePath, r.key)
		}
		if r.relative {
			continue
		}
		fits, ok := referenceTypes[r.typ]
		if !ok {
			t.Errorf("%s: the row of %s has the type %q; use one of: %s", referencePath, r.key, r.typ, strings.Join(known, ", "))
			continue
		}
		for _, n := range nodes {
			if n.key == "" || !r.matches(n.key) {
				continue
			}
			typed++
			if !fits(n.value.Type()) {
				t.Errorf("%s: the row of %s says %q, but the key's Go type is %s", referencePath, n.key, r.typ, n.value.Type())
			}
		}
	}
	require.Greater(t, typed, 60, "the reference's rows were not matched to keys: did its table layout change?")
}

// A string documented as a quantity, a Go duration or a URL holds one wherever the code
// applies a value (the defaults of a sample with every optional object present).
func TestConfigReferenceTypesAreTheCodes(t *testing.T) {
	rows := readReference(t)
	var nodes []configNode
	walkConfig("", reflect.ValueOf(effectiveSample(t)), true, &nodes)
	parse := map[string]func(string) error{
		"quantity":    func(v string) error { _, err := resource.ParseQuantity(v); return err },
		"Go duration": func(v string) error { _, err := time.ParseDuration(v); return err },
		"URL": func(v string) error {
			if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
				return fmt.Errorf("not an absolute URL")
			}
			return nil
		},
	}
	checked := 0
	for _, r := range rows {
		check, ok := parse[r.typ]
		if !ok || r.relative {
			continue
		}
		for _, n := range nodes {
			if !n.leaf || !n.present || !r.matches(n.key) || n.value.Kind() != reflect.String || n.value.String() == "" {
				continue
			}
			checked++
			if err := check(n.value.String()); err != nil {
				t.Errorf("%s: %s is documented as a %s, but the code applies %q (%v)", referencePath, n.key, r.typ, n.value.String(), err)
			}
		}
	}
	require.Greater(t, checked, 10)
}
