package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"cloud-codex/components"
)

// KeyError is a configuration error at a key path such as cloud-codex:agents[1].name.
type KeyError struct {
	Path string
	Msg  string
}

func (e *KeyError) Error() string { return fmt.Sprintf("config %s: %s", e.Path, e.Msg) }

// atPath turns a component's field error into a KeyError under prefix, the config key
// whose value has type t, so the user sees the config key to change rather than a Go field
// name. renames maps a component field (in config spelling) to its config key where the
// two differ. Joined errors are mapped one by one: every invalid field is reported.
func atPath(prefix string, t reflect.Type, err error, renames map[string]string) error {
	if errs, ok := joined(err); ok {
		return mapJoined(errs, func(e error) error { return atPath(prefix, t, e, renames) })
	}
	var fe *components.FieldError
	if errors.As(err, &fe) {
		rel := configPath(t, fe.Field)
		if key, ok := renames[rel]; ok {
			rel = key
		}
		return &KeyError{Path: joinKey(prefix, rel), Msg: fmt.Sprintf("invalid value %v: %s", fe.Value, fe.Fix)}
	}
	return &KeyError{Path: prefix, Msg: err.Error()}
}

// joinKey appends a relative key path (which may start with a [index] or ["key"]) to prefix.
func joinKey(prefix, rel string) string {
	if rel == "" || strings.HasPrefix(rel, "[") || strings.HasSuffix(prefix, ":") {
		return prefix + rel
	}
	return prefix + "." + rel
}

// pathToken is one step of a component field path: a field name, a list index, or a map
// key (written `.key` or `["key"]` by components.KeyField).
type pathToken struct {
	name  string
	index string
	key   *string
}

// parseFieldPath splits "Models[0].Alias", `codex.mcpServers["a.b"].env.X` into tokens. A
// malformed path is returned as one name: the message still reaches the user.
func parseFieldPath(field string) []pathToken {
	var out []pathToken
	rest := field
	for rest != "" {
		switch {
		case rest[0] == '.':
			rest = rest[1:]
		case strings.HasPrefix(rest, `["`):
			q, err := strconv.QuotedPrefix(rest[1:])
			if err != nil || !strings.HasPrefix(rest[1+len(q):], "]") {
				return []pathToken{{name: field}}
			}
			key, _ := strconv.Unquote(q)
			out = append(out, pathToken{key: &key})
			rest = rest[1+len(q)+1:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return []pathToken{{name: field}}
			}
			out = append(out, pathToken{index: rest[1:end]})
			rest = rest[end+1:]
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			out = append(out, pathToken{name: rest[:end]})
			rest = rest[end:]
		}
	}
	return out
}

// configPath spells a component field path as a config key path relative to a value of
// type t: struct fields take the json name (matched case-insensitively, "Models" is
// "models"), map keys stay exactly as written (an env name "CODEX_HOME", an MCP server id
// "GitHub"), indices stay. Fields the config type does not have ("CPULimit", renamed by
// the caller) are lower-camel-cased.
func configPath(t reflect.Type, field string) string {
	var b strings.Builder
	cur := t
	for _, tok := range parseFieldPath(field) {
		for cur != nil && cur.Kind() == reflect.Pointer {
			cur = cur.Elem()
		}
		switch {
		case tok.index != "":
			b.WriteString("[" + tok.index + "]")
			if cur != nil && cur.Kind() == reflect.Slice {
				cur = cur.Elem()
			} else {
				cur = nil
			}
		case tok.key != nil || (cur != nil && cur.Kind() == reflect.Map):
			key := tok.name
			if tok.key != nil {
				key = *tok.key
			}
			// A map key is the user's own spelling: never re-cased.
			b.WriteString(strings.TrimPrefix(components.KeyField("x", key), "x"))
			if cur != nil && cur.Kind() == reflect.Map {
				cur = cur.Elem()
			} else {
				cur = nil
			}
		default:
			name, next := lowerCamel(tok.name), reflect.Type(nil)
			if cur != nil && cur.Kind() == reflect.Struct {
				if jsonName, ft, ok := fieldByJSONName(cur, tok.name); ok {
					name, next = jsonName, ft
				}
			}
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(name)
			cur = next
		}
	}
	return b.String()
}

// fieldByJSONName finds t's field whose json name is name, exactly or ignoring case.
func fieldByJSONName(t reflect.Type, name string) (string, reflect.Type, bool) {
	fields := jsonFields(t)
	if ft, ok := fields[name]; ok {
		return name, ft, true
	}
	for jsonName, ft := range fields {
		if strings.EqualFold(jsonName, name) {
			return jsonName, ft, true
		}
	}
	return "", nil, false
}

// lowerCamel lower-cases a segment's leading capitals, keeping the one that starts the next
// word: "CPULimit" is "cpuLimit", not "cPULimit", "ID" is "id".
func lowerCamel(s string) string {
	r := []rune(s)
	n := 0
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	if n > 1 && n < len(r) && unicode.IsLower(r[n]) {
		n--
	}
	for i := range n {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// joined unwraps an errors.Join: a component reports every invalid field at once, and each
// must reach the user under its own config key, not only the first one errors.As finds.
func joined(err error) ([]error, bool) {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil, false
	}
	return j.Unwrap(), true
}

func mapJoined(errs []error, f func(error) error) error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = f(e)
	}
	return errors.Join(out...)
}
