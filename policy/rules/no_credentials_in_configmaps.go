package rules

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/codexauth"
	"cloud-codex/contract"
)

// RuleNoCredentialsInConfigMaps guards against credentials in ConfigMaps, which anyone
// with read access to the namespace can read and which Pulumi stores in plaintext. In the
// original system an unquoted heredoc ran `env` while rendering config.toml and wrote every
// secret of the pod (GitHub PAT, agent token, LiteLLM key) into it. A ConfigMap value must
// not be a codex auth file or LiteLLM's flat token file, must not be under a key named like
// one (auth.json, auth-N.json), and must not contain a credential shape of the contract
// (contract.CredentialPatterns: a JWT, an `sk-`, Stripe, Google, GitHub, GitLab, npm, Slack
// or AWS key, a Bearer or Basic value, a PEM private key, a URL with user:password@).
// Shapes are not enough (issue 21: a literal OPENAI_API_KEY in an MCP server's env reached
// an agent's config.toml ConfigMap): a key, or an entry of a TOML/JSON/YAML document (every
// document of a stream, name/value siblings of a list), a .env/.properties/INI line or a
// shell assignment inside a value, whatever the key's suffix, named like a credential
// (OPENAI_API_KEY, *_KEY, *TOKEN*, *SECRET*, *PASSWORD*, *PASS, AUTHORIZATION, see
// credential_names.go and contract.IsCredentialName) must not hold a literal, unless the
// literal is obviously not a secret (empty, ${VAR}, os.environ/VAR, a number...).
// Operators can add patterns with the extraPatterns config (Go RE2 regular expressions).
//
// Messages never repeat a found secret: they name the key, the line and a short prefix.
const RuleNoCredentialsInConfigMaps = "no-credentials-in-configmaps"

// configExtraPatterns is the config key of extra credential patterns.
const configExtraPatterns = "extraPatterns"

func noCredentialsInConfigMapsPolicy() policyx.Policy {
	return policyx.NewResourceValidationPolicy(RuleNoCredentialsInConfigMaps, policyx.ResourceValidationPolicyArgs{
		Description:      "No credentials in ConfigMaps: no codex auth file, JWT, sk-, Stripe, Google, GitHub, GitLab, npm, Slack or AWS key, Bearer/Basic value, PEM private key or URL with a password in any value, and no literal under a credential name in any format.",
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ConfigSchema: &policyx.ConfigSchema{
			Properties: map[string]map[string]any{
				configExtraPatterns: stringListSchema(
					"Additional regular expressions (Go RE2 syntax) that mark a ConfigMap value as a credential.", "regex", ""),
			},
		},
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			// The kind first: converting every resource's properties only to drop all but the
			// ConfigMaps cost more than the rule itself.
			if t, ok := parseKubeType(args.Resource.Type); !ok || t.Kind != "ConfigMap" {
				return nil
			}
			r := resourceFromAnalyzer(args.Resource)
			extra, err := cachedRegexListConfig(RuleNoCredentialsInConfigMaps, args.Config, configExtraPatterns)
			if err != nil {
				return err
			}
			if findings := CheckConfigMapCredentials(stringData(r), extra); len(findings) > 0 {
				args.Manager.ReportViolation(fmt.Sprintf("ConfigMap %s holds credentials:\n  - %s",
					quote(r.meta().Name), strings.Join(findings, "\n  - ")), "")
			}
			return nil
		},
	})
}

// credentialPattern is a kind of credential found inside a value.
type credentialPattern struct {
	what string
	re   *regexp.Regexp
	// confirm, if set, must accept the match (e.g. a JWT must decode).
	confirm func(string) bool
	// mayMatch, if set, skips a value re cannot match (the contract's literals).
	mayMatch func(string) bool
}

// builtinCredentialPatterns are the contract's shapes, with the contract's confirmations
// (a URL's password that is a reference does not count); a JWT counts only if it decodes.
var builtinCredentialPatterns = func() []credentialPattern {
	var ps []credentialPattern
	for _, p := range contract.CredentialPatterns {
		cp := credentialPattern{what: p.What, re: p.RE, confirm: p.Confirm, mayMatch: p.MayMatch}
		if p.JWT {
			cp.confirm = codexauth.LooksLikeJWT
		}
		ps = append(ps, cp)
	}
	return ps
}()

// CheckConfigMapCredentials lists the credentials found in a ConfigMap's data (keys and
// values); extra are additional patterns from config.
func CheckConfigMapCredentials(data map[string]string, extra []*regexp.Regexp) []string {
	patterns := append([]credentialPattern(nil), builtinCredentialPatterns...)
	for _, re := range extra {
		patterns = append(patterns, credentialPattern{what: fmt.Sprintf("a match of extra pattern %q", re.String()), re: re})
	}
	var findings []string
	for _, key := range slices.Sorted(maps.Keys(data)) {
		value := data[key]
		if codexauth.IsCredentialFileName(key) && !isRegistryHelperAuthFile(value) {
			findings = append(findings, fmt.Sprintf("key %q is named like a codex credential file", key))
		}
		if isUnknown(value) {
			continue
		}
		if isCodexCredential(value) {
			findings = append(findings, fmt.Sprintf("key %q holds a codex auth file or LiteLLM token file", key))
			continue
		}
		shapeFindings := len(findings)
		for _, p := range patterns {
			if p.mayMatch != nil && !p.mayMatch(value) {
				continue
			}
			for _, m := range p.re.FindAllStringSubmatchIndex(value, -1) {
				start, end := m[0], m[1]
				if len(m) >= 4 && m[2] >= 0 { // the pattern's first group is the credential itself
					start, end = m[2], m[3]
				}
				found := value[start:end]
				if p.confirm != nil && !p.confirm(found) {
					continue
				}
				findings = append(findings, fmt.Sprintf("key %q line %d contains %s (%s)",
					key, strings.Count(value[:start], "\n")+1, p.what, redact(found)))
				break // one finding per pattern and key is enough
			}
		}
		if len(findings) > shapeFindings {
			continue // the value is already reported by its shape: one finding per credential
		}
		if contract.IsCredentialName(key) && !isPlaceholderValue(value) {
			findings = append(findings, fmt.Sprintf("key %q is named like a credential and holds a literal value; "+
				"put it in a Secret and reference it (valueFrom.secretKeyRef)", key))
		}
		for _, nc := range credentialNamedSettings(key, value) {
			findings = append(findings, fmt.Sprintf("key %q: %s is named like a credential and holds a literal value; "+
				"put it in a Secret and pass it by reference (for an MCP server: secretEnv)", key, nc.Path))
		}
	}
	return findings
}

// redact shows just enough of a found credential to locate it.
func redact(s string) string {
	const keep = 6
	if len(s) <= keep {
		return strings.Repeat("*", len(s))
	}
	return s[:keep] + "…"
}
