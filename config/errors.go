package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"cloud-codex/components"
)

// KeyError is a configuration error at a key path such as cloud-codex:agents[1].name.
type KeyError struct {
	Path string
	Msg  string
}

func (e *KeyError) Error() string { return fmt.Sprintf("config %s: %s", e.Path, e.Msg) }

// atPath puts the field errors of a component whose args (of type t) were decoded from the
// config key prefix under that key. The args' fields are the config keys, so a field path
// is already the key path below prefix. Joined errors are mapped one by one: every invalid
// field is reported. An error on a field that is no config key (json:"-") is about a value
// the stack handed the component, such as its namespace, which is reported at its own key
// already; it is dropped rather than shown at a key the user cannot set.
func atPath(prefix string, t reflect.Type, err error) error {
	if errs, ok := joined(err); ok {
		out := make([]error, len(errs))
		for i, e := range errs {
			out[i] = atPath(prefix, t, e)
		}
		return errors.Join(out...)
	}
	var fe *components.FieldError
	if errors.As(err, &fe) {
		if _, isKey := jsonFields(t)[topKey(fe.Field)]; !isKey {
			return nil
		}
		return &KeyError{Path: joinKey(prefix, fe.Field), Msg: fmt.Sprintf("invalid value %v: %s", fe.Value, fe.Fix)}
	}
	return &KeyError{Path: prefix, Msg: err.Error()}
}

// topKey is the first key of a field path: "models" of "models[0].alias".
func topKey(field string) string {
	if i := strings.IndexAny(field, ".["); i >= 0 {
		return field[:i]
	}
	return field
}

// joinKey appends a relative key path (which may start with a [index] or ["key"]) to prefix.
func joinKey(prefix, rel string) string {
	if rel == "" || strings.HasPrefix(rel, "[") || strings.HasSuffix(prefix, ":") {
		return prefix + rel
	}
	return prefix + "." + rel
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
