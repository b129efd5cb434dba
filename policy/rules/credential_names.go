package rules

import (
	"cloud-codex/contract"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"
)

// This file judges a setting by its name (issue 21: a literal OPENAI_API_KEY in an MCP
// server's env reached a ConfigMap because only sk-shaped values were recognised): names
// that contract.IsCredentialName marks (the agent's validation uses the same judge), with a literal value that
// is not obviously a non-secret (empty, a reference such as ${VAR} or os.environ/VAR, a
// number or boolean, a placeholder). Structured values (TOML, YAML/JSON, KEY=value lines)
// are read with their libraries, so a credential nested in a config file is found under
// its own name.

// isPlaceholderValue reports whether a literal is obviously not a secret
// (contract.IsPlaceholderValue: empty, a reference such as ${VAR}, $(VAR), os.environ/VAR,
// {{ template }} or <placeholder>, a number, a boolean) or unknown during a preview.
func isPlaceholderValue(v string) bool {
	return isUnknown(strings.Trim(strings.TrimSpace(v), `"'`)) || contract.IsPlaceholderValue(v)
}

// namedCredential is a credential-named setting with a literal value, found in a text.
type namedCredential struct {
	Path string // e.g. mcp_servers.github.env.OPENAI_API_KEY, or line 3: GITHUB_TOKEN
}

// credentialNamedSettings finds credential-named settings with literal values in a text:
// the entries of a TOML, YAML or JSON document (parsed with go-toml / yaml.v3), or
// KEY=value lines (.env files, shell exports).
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

func findCredentialNamedSettings(key, text string) []namedCredential {
	var out []namedCredential
	var doc any
	parsed := false
	if strings.HasSuffix(key, ".toml") {
		var m map[string]any
		if toml.Unmarshal([]byte(text), &m) == nil {
			doc, parsed = m, true
		}
	}
	if !parsed {
		var v any
		if yaml.Unmarshal([]byte(text), &v) == nil {
			if _, ok := v.(map[string]any); ok {
				doc, parsed = v, true
			}
		}
	}
	if parsed {
		walkSettings(doc, "", func(p, name, value string) {
			if contract.IsCredentialName(name) && !isPlaceholderValue(value) {
				out = append(out, namedCredential{Path: p})
			}
		})
		return out
	}
	for i, line := range strings.Split(text, "\n") {
		m := envLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if contract.IsCredentialName(m[1]) && !isPlaceholderValue(m[2]) {
			out = append(out, namedCredential{Path: fmt.Sprintf("line %d: %s", i+1, m[1])})
		}
	}
	return out
}

// envLine is a KEY=value line (optionally exported).
var envLine = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(\S.*)$`)

// walkSettings calls f for every string scalar of a parsed document with its dotted path
// and the name of the entry holding it.
func walkSettings(v any, p string, f func(path, name, value string)) {
	switch v := v.(type) {
	case map[string]any:
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
			walkSettings(e, fmt.Sprintf("%s[%d]", p, i), f)
		}
	}
}
