package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sort"
	"strings"

	"cloud-codex/components"
)

// decodeStrict decodes a JSON config value into out. Before decoding it walks the value
// against out's type and reports, all at once, every key the type does not declare (with
// the nearest known key) and every value of the wrong type, each at its own key path with
// map keys as the user wrote them. encoding/json alone stops at the first problem, names a
// map's entry by the map, and re-joins paths so that a key with a dot or a number in it is
// misspelt.
func decodeStrict(path string, raw string, out any) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return &KeyError{Path: path, Msg: fmt.Sprintf("not valid structured config: %v", err)}
	}
	if errs := checkShape(path, generic, reflect.TypeOf(out).Elem()); len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		// checkShape accepts only what decodes; this is a safety net, not a code path.
		return &KeyError{Path: path, Msg: err.Error()}
	}
	return nil
}

// checkShape compares a decoded JSON value (json.Number for numbers) with the Go type it
// will be decoded into. null is accepted anywhere: it leaves the default.
func checkShape(path string, v any, t reflect.Type) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil
	}
	// A type with its own JSON decoding (a Kubernetes quantity, an int-or-string in the
	// Kubernetes types config embeds) says itself what it accepts.
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		b, err := json.Marshal(v)
		if err == nil {
			err = json.Unmarshal(b, reflect.New(t).Interface())
		}
		if err != nil {
			return []error{&KeyError{Path: path, Msg: err.Error()}}
		}
		return nil
	}
	mismatch := func() []error {
		return []error{&KeyError{Path: path, Msg: fmt.Sprintf("expected %s, got %s", typeName(t), jsonTypeName(v))}}
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return mismatch()
		}
		fields := jsonFields(t)
		var errs []error
		for _, k := range sortedMapKeys(obj) {
			ft, ok := fields[k]
			if !ok {
				errs = append(errs, &KeyError{Path: keyPath(path, k), Msg: "unknown key" + suggest(k, fields)})
				continue
			}
			errs = append(errs, checkShape(keyPath(path, k), obj[k], ft)...)
		}
		return errs
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return mismatch()
		}
		var errs []error
		for _, k := range sortedMapKeys(obj) {
			errs = append(errs, checkShape(keyPath(path, k), obj[k], t.Elem())...)
		}
		return errs
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return mismatch()
		}
		var errs []error
		for i, item := range list {
			errs = append(errs, checkShape(fmt.Sprintf("%s[%d]", path, i), item, t.Elem())...)
		}
		return errs
	case reflect.String:
		if _, ok := v.(string); !ok {
			return mismatch()
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return mismatch()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return mismatch()
		}
		if _, err := n.Int64(); err != nil {
			return []error{&KeyError{Path: path, Msg: fmt.Sprintf("expected %s, got %s", typeName(t), n)}}
		}
	}
	return nil
}

var jsonUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// keyPath appends a key to a key path in the syntax `pulumi config set --path` reads:
// base.key, or base["key"] when the key has a character that makes a dotted path
// ambiguous (components.KeyField, the same rule the components use). The key is never
// re-cased.
func keyPath(base, key string) string {
	if base == "" || strings.HasSuffix(base, ":") {
		return base + key
	}
	return components.KeyField(base, key)
}

// typeName is a Go type as the user knows it from JSON/YAML.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		return "a list"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int"
	}
	return t.Kind().String()
}

func jsonTypeName(v any) string {
	switch v := v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// jsonFields are the keys of struct type t as encoding/json reads them: an embedded struct
// without a tag (Egress embeds the egress component's args) contributes its own keys.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			maps.Copy(fields, jsonFields(f.Type))
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f.Type
	}
	return fields
}

// suggest returns `; did you mean "x"?` for the closest known key, if close enough.
func suggest(k string, fields map[string]reflect.Type) string {
	best, bestDist := "", 1<<30
	for name := range fields {
		if d := editDistance(strings.ToLower(k), strings.ToLower(name)); d < bestDist || (d == bestDist && name < best) {
			best, bestDist = name, d
		}
	}
	known := make([]string, 0, len(fields))
	for name := range fields {
		known = append(known, name)
	}
	sort.Strings(known)
	if best != "" && bestDist <= max(2, len(k)/3) {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return fmt.Sprintf("; known keys: %s", strings.Join(known, ", "))
}

// editDistance is the optimal-string-alignment distance: Levenshtein plus adjacent
// transpositions, the commonest typo ("nmae").
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
