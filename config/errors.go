package config

import (
	"errors"
	"fmt"
	"strings"

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

// configKey turns a component field path ("Models[0].Alias", "registry.apiUrl") into the
// config key spelling: each segment starts lower-case.
func configKey(field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToLower(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".")
}

// renameFields rewrites a component field error's field (in config spelling) through keys.
func renameFields(err error, keys map[string]string) error {
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
