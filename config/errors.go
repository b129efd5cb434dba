package config

import (
	"errors"
	"fmt"
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

// atPath turns a component's field error into a KeyError under prefix, so the user sees
// the config key to change rather than a Go field name.
func atPath(prefix string, err error) error {
	if errs, ok := joined(err); ok {
		return mapJoined(errs, func(e error) error { return atPath(prefix, e) })
	}
	var fe *components.FieldError
	if errors.As(err, &fe) {
		sep := "."
		if strings.HasSuffix(prefix, ":") {
			sep = ""
		}
		return &KeyError{Path: prefix + sep + configKey(fe.Field), Msg: fmt.Sprintf("invalid value %v: %s", fe.Value, fe.Fix)}
	}
	return &KeyError{Path: prefix, Msg: err.Error()}
}

// configKey turns a component field path ("Models[0].Alias", "Resources.CPULimit",
// "registry.apiUrl") into the config key spelling, lower camel case per segment
// ("models[0].alias", "resources.cpuLimit").
func configKey(field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		parts[i] = lowerCamel(p)
	}
	return strings.Join(parts, ".")
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

// renameFields rewrites a component field error's field (in config spelling) through keys.
func renameFields(err error, keys map[string]string) error {
	if errs, ok := joined(err); ok {
		return mapJoined(errs, func(e error) error { return renameFields(e, keys) })
	}
	var fe *components.FieldError
	if errors.As(err, &fe) {
		if key, ok := keys[configKey(fe.Field)]; ok {
			renamed := *fe
			renamed.Field = key
			return &renamed
		}
	}
	return err
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
