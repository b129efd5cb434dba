package rules

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Helpers for rule config (--policy-pack-config). The CLI validates the config against each
// rule's ConfigSchema before the pack runs; these checks repeat the part a rule depends on,
// so a pack driven without that validation fails with a clear message instead of guessing.
//
// policyx (sdk v3.274.1) passes config properties to resource policies only: stack
// policies receive their enforcement level but no properties, so stack rules have no
// ConfigSchema.

// configError is the error of an invalid config value.
func configError(rule, key, format string, a ...any) error {
	return fmt.Errorf("invalid --policy-pack-config for policy %q: %q %s", rule, key, fmt.Sprintf(format, a...))
}

// stringListConfig reads an optional list of strings.
func stringListConfig(rule string, cfg map[string]any, key string) ([]string, error) {
	raw, ok := cfg[key]
	if !ok || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		if ss, ok := raw.([]string); ok {
			return ss, nil
		}
		return nil, configError(rule, key, "must be a list of strings, got %T", raw)
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, configError(rule, key, "must be a list of strings, but item %d is %T", i, v)
		}
		out = append(out, s)
	}
	return out, nil
}

// regexListConfig reads an optional list of regular expressions (Go RE2 syntax).
func regexListConfig(rule string, cfg map[string]any, key string) ([]*regexp.Regexp, error) {
	ss, err := stringListConfig(rule, cfg, key)
	if err != nil {
		return nil, err
	}
	out := make([]*regexp.Regexp, 0, len(ss))
	for i, s := range ss {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, configError(rule, key, "item %d (%q) is not a valid regular expression: %v", i, s, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// cachedRegexListConfig is regexListConfig, compiled once per distinct list: a resource
// rule reads its config for every resource of the stack.
func cachedRegexListConfig(rule string, cfg map[string]any, key string) ([]*regexp.Regexp, error) {
	ss, err := stringListConfig(rule, cfg, key)
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	cacheKey := rule + "\x00" + key + "\x00" + strings.Join(ss, "\x00")
	if v, ok := compiledLists.Load(cacheKey); ok {
		return v.([]*regexp.Regexp), nil
	}
	out, err := regexListConfig(rule, cfg, key)
	if err != nil {
		return nil, err
	}
	compiledLists.Store(cacheKey, out)
	return out, nil
}

var compiledLists sync.Map // string -> []*regexp.Regexp

// stringListSchema is the JSON schema of a list of strings; pattern and format constrain
// each item when non-empty.
func stringListSchema(description, format, pattern string) map[string]any {
	item := map[string]any{"type": "string"}
	if format != "" {
		item["format"] = format
	}
	if pattern != "" {
		item["pattern"] = pattern
	}
	return map[string]any{
		"type":        "array",
		"items":       item,
		"description": description,
		"default":     []any{},
	}
}
