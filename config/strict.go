package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// decodeStrict decodes a JSON config value into out and rejects keys out's type does not
// declare, naming the key path and the nearest known key. encoding/json alone can reject
// unknown fields but cannot say where or suggest the fix.
func decodeStrict(path string, raw string, out any) error {
	var generic any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		return &KeyError{Path: path, Msg: fmt.Sprintf("not valid structured config: %v", err)}
	}
	if err := checkKeys(path, generic, reflect.TypeOf(out).Elem()); err != nil {
		return err
	}
	// Slices are decoded element by element: encoding/json's type errors name the field
	// but not the element index, and "agents[3].replicas" is what the user needs.
	if sv := reflect.ValueOf(out).Elem(); sv.Kind() == reflect.Slice {
		var items []json.RawMessage
		if err := json.Unmarshal([]byte(raw), &items); err != nil {
			return &KeyError{Path: path, Msg: fmt.Sprintf("expected a list: %v", err)}
		}
		result := reflect.MakeSlice(sv.Type(), len(items), len(items))
		for i, item := range items {
			if err := decodeStrict(fmt.Sprintf("%s[%d]", path, i), string(item), result.Index(i).Addr().Interface()); err != nil {
				return err
			}
		}
		sv.Set(result)
		return nil
	}
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		var te *json.UnmarshalTypeError
		if ok := asTypeError(err, &te); ok {
			return &KeyError{Path: joinPath(path, te.Field), Msg: fmt.Sprintf("expected %s, got %s", te.Type, te.Value)}
		}
		return &KeyError{Path: path, Msg: err.Error()}
	}
	return nil
}

func asTypeError(err error, target **json.UnmarshalTypeError) bool {
	te, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*target = te
	}
	return ok
}

// joinPath renders json's dotted field path ("agents.1.name") as key-path syntax.
func joinPath(base, field string) string {
	if field == "" {
		return base
	}
	var b strings.Builder
	b.WriteString(base)
	for _, part := range strings.Split(field, ".") {
		if part != "" && strings.Trim(part, "0123456789") == "" {
			b.WriteString("[" + part + "]")
		} else {
			b.WriteString("." + part)
		}
	}
	return b.String()
}

func checkKeys(path string, v any, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch val := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			fields := jsonFields(t)
			for _, k := range sortedMapKeys(val) {
				ft, ok := fields[k]
				if !ok {
					return &KeyError{Path: path + "." + k, Msg: "unknown key" + suggest(k, fields)}
				}
				if err := checkKeys(path+"."+k, val[k], ft); err != nil {
					return err
				}
			}
		case reflect.Map:
			for _, k := range sortedMapKeys(val) {
				if err := checkKeys(path+"."+k, val[k], t.Elem()); err != nil {
					return err
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, item := range val {
				if err := checkKeys(fmt.Sprintf("%s[%d]", path, i), item, t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
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
