package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"cloud-codex/contract"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"
)

// This file judges a setting by its name (issue 21: a literal OPENAI_API_KEY in an MCP
// server's env reached a ConfigMap because only sk-shaped values were recognised): names
// that contract.IsCredentialName marks (the agent's validation uses the same judge), with a
// literal value that is not obviously a non-secret (contract.IsPlaceholderValue: empty, a
// reference such as ${VAR} or os.environ/VAR, a number or boolean, a placeholder).
//
// A ConfigMap value is read in every format it parses as, whatever its key's name (a TOML
// file under "codex", a .env under "settings"): TOML, JSON, every document of a YAML
// stream, then lines. In a parsed document each string is judged under its own key, a map
// with name/value (or key/value) siblings as a setting of that name (a Kubernetes-style
// env list), a list item NAME=value as that setting (a compose environment list), and a
// multi-line string is read again as a document of its own. A text that is nothing but
// settings lines (.env, .properties, INI: `NAME = value`, `export NAME=value`,
// `a.b.key=value`, `key: value`, [sections], comments) is judged line by line; any other
// text (a script, source code) only by its shell assignments (NAME=value, export
// NAME=value) and upper-case assignments of a quoted literal (API_KEY = "…").

// isPlaceholderValue reports whether a literal is obviously not a secret
// (contract.IsPlaceholderValue) or unknown during a preview.
func isPlaceholderValue(v string) bool {
	return isUnknown(strings.Trim(strings.TrimSpace(v), `"'`)) || contract.IsPlaceholderValue(v)
}

// namedCredential is a credential-named setting with a literal value, found in a text.
type namedCredential struct {
	Path string // e.g. mcp_servers.github.env.OPENAI_API_KEY, or line 3: GITHUB_TOKEN
}

// credentialNamedSettings finds credential-named settings with literal values in a text
// (above: TOML, JSON, YAML documents, settings lines, assignments).
func credentialNamedSettings(key, text string) []namedCredential {
	cacheKey := key + "\x00" + text
	if v, ok := namedSettingsCache.Load(cacheKey); ok {
		return v.([]namedCredential)
	}
	out := findCredentialNamedSettings(key, text)
	if namedSettingsCacheSize.Add(1) <= namedSettingsCacheMax {
		namedSettingsCache.Store(cacheKey, out)
	}
	return out
}

// namedSettingsCache keeps the findings per ConfigMap key and text: the resource rule sees
// every agent's config.toml, most of them alike, and parsing each costs more than the
// rest of the rule. Bounded: a pack process serves one preview.
var (
	namedSettingsCache     sync.Map
	namedSettingsCacheSize atomic.Int64
)

const namedSettingsCacheMax = 4096

// findCredentialNamedSettings reads text whatever its key's name says it is.
func findCredentialNamedSettings(_, text string) []namedCredential {
	return namedSettings(text, 0)
}

// maxNesting bounds how deep a string inside a document is read as a document again.
const maxNesting = 2

// namedSettings finds the credential-named settings of text, read in the first format it
// parses as.
func namedSettings(text string, depth int) []namedCredential {
	var out []namedCredential
	judge := func(path, name, value string) {
		// A name with blanks is prose that happens to parse as YAML ("Every request sends
		// Authorization: Bearer <key>"), not a setting.
		if !strings.ContainsAny(strings.TrimSpace(name), " \t") && contract.IsCredentialName(name) && !isPlaceholderValue(value) {
			out = append(out, namedCredential{Path: path})
		}
	}
	if docs, ok := parseDocuments(text); ok {
		for i, doc := range docs {
			prefix := ""
			if len(docs) > 1 {
				prefix = fmt.Sprintf("document %d: ", i+1)
			}
			walkSettings(doc, "", func(p, name, value string) {
				if name != "" {
					judge(prefix+p, name, value)
				}
				if m := assignmentWord.FindStringSubmatch(value); m != nil {
					judge(prefix+p+": "+m[1], m[1], m[2]) // - OPENAI_API_KEY=abc (a compose environment list)
				}
				if depth < maxNesting && strings.Contains(strings.TrimSpace(value), "\n") {
					for _, nc := range namedSettings(value, depth+1) {
						out = append(out, namedCredential{Path: prefix + p + ": " + nc.Path})
					}
				}
			})
		}
		return out
	}
	lines := strings.Split(text, "\n")
	if isSettingsFile(lines) {
		section := ""
		for i, line := range lines {
			if m := sectionLine.FindStringSubmatch(line); m != nil {
				section = "[" + strings.TrimSpace(m[1]) + "] "
				continue
			}
			if m := settingLine.FindStringSubmatch(line); m != nil && !commentLine.MatchString(line) {
				judge(fmt.Sprintf("line %d: %s%s", i+1, section, m[1]), m[1], settingValue(m[2]))
			}
		}
		return out
	}
	for i, line := range lines {
		m := envLine.FindStringSubmatch(line)
		if m == nil {
			m = quotedAssignment.FindStringSubmatch(line)
		}
		if m != nil {
			judge(fmt.Sprintf("line %d: %s", i+1, m[1]), m[1], m[2])
		}
	}
	return out
}

// parseDocuments parses text as TOML, JSON or a YAML stream: the documents, when one of
// the formats reads the whole text and holds at least one table, object, mapping or list.
func parseDocuments(text string) ([]any, bool) {
	var m map[string]any
	if toml.Unmarshal([]byte(text), &m) == nil && len(m) > 0 {
		return []any{m}, true
	}
	if t := strings.TrimSpace(text); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		var v any
		if json.Unmarshal([]byte(t), &v) == nil {
			return []any{v}, isCollection(v)
		}
	}
	var docs []any
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false
		}
		docs = append(docs, v)
	}
	if !slices.ContainsFunc(docs, isCollection) {
		return nil, false
	}
	return docs, true
}

func isCollection(v any) bool {
	switch v.(type) {
	case map[string]any, map[any]any, []any:
		return true
	}
	return false
}

// assignmentWord is a string that is one NAME=value word (a compose environment list
// item, an env argument); NAME=$(cmd) args is a command, not a setting.
var assignmentWord = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s*$`)

// envLine is a shell assignment: NAME=value, optionally exported.
var envLine = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(\S.*)$`)

// quotedAssignment is an upper-case name assigned a quoted literal in a script or a source
// file (API_KEY = "…", const API_KEY = '…'); other assignments there are code.
var quotedAssignment = regexp.MustCompile(`^\s*(?:(?:export|const|let|var|readonly)\s+)?([A-Z_][A-Z0-9_]*)\s*[:=]\s*("[^"]*"|'[^']*')\s*;?\s*$`)

// Lines of a settings file (.env, .properties, INI).
var (
	settingLine = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s*(.*?)\s*$`)
	sectionLine = regexp.MustCompile(`^\s*\[([^\[\]]+)\]\s*$`)
	commentLine = regexp.MustCompile(`^\s*(?:$|[#;!]|//)`)
)

// isSettingsFile: every line is a setting, a [section], a comment or blank, or continues
// the line before (a .properties value ending in a backslash), and one is a setting.
func isSettingsFile(lines []string) bool {
	settings := 0
	for i, line := range lines {
		switch {
		case commentLine.MatchString(line), sectionLine.MatchString(line):
		case i > 0 && strings.HasSuffix(strings.TrimRight(lines[i-1], " \t\r"), "\\"):
		case settingLine.MatchString(line):
			settings++
		default:
			return false
		}
	}
	return settings > 0
}

// settingValue is a settings line's value without a trailing comment (`value  # note`),
// unless it is quoted.
func settingValue(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "'") {
		return v
	}
	if i := strings.IndexAny(v, "#;"); i > 0 && (v[i-1] == ' ' || v[i-1] == '\t') {
		v = strings.TrimSpace(v[:i])
	}
	return v
}

// walkSettings calls f for every string scalar of a parsed document with its dotted path
// and the name of the entry holding it ("" for a list item), and once more for a map with
// name/value (or key/value) siblings, under the name's value.
func walkSettings(v any, p string, f func(path, name, value string)) {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = e
		}
		walkSettings(m, p, f)
	case map[string]any:
		for _, pair := range [][2]string{{"name", "value"}, {"key", "value"}, {"Name", "Value"}} {
			name, okName := v[pair[0]].(string)
			value, okValue := v[pair[1]].(string)
			if okName && okValue {
				f(strings.TrimSpace(fmt.Sprintf("%s (%s %s)", p, pair[0], name)), name, value)
				break
			}
		}
		for _, k := range sortedKeys(v) {
			child := k
			if p != "" {
				child = p + "." + k
			}
			if s, ok := v[k].(string); ok {
				f(child, k, s)
				continue
			}
			walkSettings(v[k], child, f)
		}
	case []any:
		for i, e := range v {
			child := fmt.Sprintf("%s[%d]", p, i)
			if s, ok := e.(string); ok {
				f(child, "", s)
				continue
			}
			walkSettings(e, child, f)
		}
	}
}
