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
		if d := levenshtein(strings.ToLower(k), strings.ToLower(name)); d < bestDist || (d == bestDist && name < best) {
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

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
