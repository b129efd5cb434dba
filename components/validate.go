package components

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"cloud-codex/contract"
)

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// FieldError is an invalid argument: which field, what is wrong, and how to fix it.
type FieldError struct {
	Field string
	Value any
	Fix   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: invalid value %v: %s", e.Field, e.Value, e.Fix)
}

// CheckDNSLabel checks that v is a DNS-1123 label of at most max characters, so names
// derived from it (with prefixes and suffixes) stay valid.
func CheckDNSLabel(field, v string, max int) error {
	if v == "" {
		return &FieldError{field, `""`, "required; use lowercase letters, digits and '-'"}
	}
	if len(v) > max || !dns1123Label.MatchString(v) {
		return &FieldError{field, fmt.Sprintf("%q", v), fmt.Sprintf(
			"must be a DNS-1123 label (lowercase letters, digits, '-', starting and ending alphanumeric) of at most %d characters", max)}
	}
	return nil
}

// CheckServiceName checks a name that becomes a Service's name (with suffix, the longest
// such name: "<name>-postgres"): Kubernetes names Services by DNS-1035 labels (a letter first,
// validation.IsDNS1035Label), stricter than the DNS-1123 labels CheckDNSLabel accepts, so
// "1pool" passes CheckDNSLabel and the API server refuses its Service halfway through up.
func CheckServiceName(field, v string, max int) error {
	if err := CheckDNSLabel(field, v, max); err != nil {
		return err
	}
	if msgs := validation.IsDNS1035Label(v); len(msgs) > 0 {
		return &FieldError{field, fmt.Sprintf("%q", v), fmt.Sprintf(
			"must start with a letter: it names a Service, and a Service name is a DNS-1035 label (lowercase letters, digits, '-', starting with a letter); e.g. %q", "pool-"+v)}
	}
	return nil
}

// CheckQuantity checks a Kubernetes resource quantity such as "1Gi" or "500m".
func CheckQuantity(field, v string) error {
	if _, err := resource.ParseQuantity(v); err != nil {
		return &FieldError{field, fmt.Sprintf("%q", v), `must be a Kubernetes quantity such as "1Gi", "512Mi" or "500m" (note: "2GB" is not one; use "2G" or "2Gi")`}
	}
	return nil
}

// CheckStorageSize checks a volume's size: a quantity above zero (the API server refuses a
// claim of zero or less, after everything before it was created).
func CheckStorageSize(field, v string) error {
	if err := CheckQuantity(field, v); err != nil {
		return err
	}
	if q := resource.MustParse(v); q.Sign() <= 0 {
		return &FieldError{field, fmt.Sprintf("%q", v), `must be above zero, e.g. "1Gi"`}
	}
	return nil
}

// CheckHTTPURL checks an absolute http(s) URL without credentials in it: a URL is written
// in plaintext into env, files and the stack's state, so "https://user:token@host" would
// be a credential through a side door, and so would "https://token@host" (GitHub, GitLab
// and most registries take a token in the user position) and "https://host/v1?key=…" (Google,
// Azure SAS and presigned URLs take one in the query). The error shows the URL with its
// userinfo and credential parameters masked (redactedURL).
func CheckHTTPURL(field, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &FieldError{field, fmt.Sprintf("%q", redactedURL(v)), "must be an absolute http:// or https:// URL"}
	}
	if u.User != nil {
		return &FieldError{field, fmt.Sprintf("%q", redactedURL(v)), "must not carry credentials (user@ or user:password@; a token in the user position is a credential too): a URL is stored in plaintext; keep credentials in a Secret"}
	}
	_, inQuery := maskQueryCredentials(u.RawQuery)
	_, inFragment := maskQueryCredentials(u.EscapedFragment())
	if inQuery || inFragment {
		return &FieldError{field, fmt.Sprintf("%q", redactedURL(v)), "must not carry credentials in its query or fragment (?key=, ?token=, ?sig=, #access_token=, or a credential-shaped value): a URL is stored in plaintext; keep credentials in a Secret"}
	}
	return nil
}

// redactedMark replaces a URL's userinfo in error messages.
const redactedMark = "xxxxx"

// redactedURL is a URL fit for an error message (an error is printed, logged and pasted
// into issues): its whole userinfo, user and password alike, replaced by "xxxxx", and so is
// the value of every query or fragment parameter that carries a credential
// (maskQueryCredentials).
// url.URL.Redacted masks only a password, and "https://ghp_…@github.com" has none. A value
// url.Parse refuses is masked the same way by its text: everything between "://" and the
// last "@" of the authority.
func redactedURL(v string) string {
	if u, err := url.Parse(v); err == nil {
		query, maskedQuery := maskQueryCredentials(u.RawQuery)
		fragment, maskedFragment := maskQueryCredentials(u.EscapedFragment())
		if u.User == nil && !maskedQuery && !maskedFragment {
			return v
		}
		c := *u
		if c.User != nil {
			c.User = url.User(redactedMark)
		}
		c.RawQuery = query
		c.Fragment, c.RawFragment = "", ""
		s := c.String()
		if u.Fragment != "" || u.RawFragment != "" || strings.HasSuffix(v, "#") {
			s += "#" + fragment
		}
		return s
	}
	if i := strings.Index(v, "://"); i >= 0 {
		rest := v[i+3:]
		authority := rest
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			authority = rest[:j]
		}
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			v = v[:i+3] + redactedMark + rest[at:]
		}
	}
	if q := strings.IndexAny(v, "?#"); q >= 0 {
		parts := strings.Split(v[q+1:], "#")
		maskedAny := false
		for i, part := range parts {
			var masked bool
			parts[i], masked = maskQueryCredentials(part)
			maskedAny = maskedAny || masked
		}
		if maskedAny {
			return v[:q+1] + strings.Join(parts, "#")
		}
	}
	if contract.LooksLikeCredential(v) {
		return "(a URL with credentials)"
	}
	return v
}

// checkProgramName refuses a program name with whitespace in it. Every command the
// components run is an argv run without a shell (the agent container's runner.command by
// agent-boot.sh's exec "$@", runner.git.install by the install step's "$@", an MCP server's
// command by codex), so "npm ci --omit=dev" as one string is looked up as a program of
// that name and fails with "not found", in the pod, after up. fix says how to write it as
// a list (its suggestion is the string split at whitespace).
func checkProgramName(field, program, fix string) error {
	if !strings.ContainsFunc(program, unicode.IsSpace) || strings.TrimSpace(program) == "" {
		return nil
	}
	return &FieldError{field, fmt.Sprintf("%q", program), fmt.Sprintf(
		"is a program and its arguments in one string, but the command runs without a shell: it would look for a program named %q and fail with \"not found\" in the pod; %s",
		program, fix)}
}

// argvList renders an argv as the JSON/YAML list a user writes.
func argvList(argv []string) string {
	if len(argv) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(argv)
	return strings.ReplaceAll(string(b), `","`, `", "`)
}

// CheckRequired checks that a required string is set.
func CheckRequired(field, v, fix string) error {
	if v == "" {
		return &FieldError{field, `""`, fix}
	}
	return nil
}

// CheckMinDuration checks a Go duration string with a lower bound and says why.
func CheckMinDuration(field, v string, min time.Duration, why string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &FieldError{field, fmt.Sprintf("%q", v), `must be a duration such as "30m" or "1h"`}
	}
	if d < min {
		return 0, &FieldError{field, fmt.Sprintf("%q", v), fmt.Sprintf("must be at least %s: %s", min, why)}
	}
	return d, nil
}

// KeyField is the field path of a map entry: prefix.key, or prefix["key"] when the key has
// characters that would make a dotted path ambiguous. Map keys are the user's own spelling
// (an env name, an MCP server id) and stay verbatim; the stack config renders the same
// syntax as `pulumi config set --path` reads it.
func KeyField(prefix, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" \t\r\n") {
		return fmt.Sprintf("%s[%q]", prefix, key)
	}
	return prefix + "." + key
}

// CheckSecretRef checks a reference to a key of a Secret by the rules the API server
// applies when the pod is created: the name is a DNS-1123 subdomain, the key a ConfigMap/
// Secret key. what says whose Secret it is, for the fix.
func CheckSecretRef(field string, r SecretRef, what string) []error {
	var errs []error
	if r.Name == "" {
		errs = append(errs, &FieldError{field + ".name", `""`, "required: the name of the Secret holding " + what})
	} else if msgs := validation.IsDNS1123Subdomain(r.Name); len(msgs) > 0 {
		errs = append(errs, &FieldError{field + ".name", fmt.Sprintf("%q", r.Name),
			"must be a Secret name (Kubernetes refuses the pod otherwise): " + strings.Join(msgs, "; ")})
	}
	if r.Key == "" {
		errs = append(errs, &FieldError{field + ".key", `""`, "required: the key inside the Secret that holds " + what})
	} else if msgs := validation.IsConfigMapKey(r.Key); len(msgs) > 0 {
		errs = append(errs, &FieldError{field + ".key", fmt.Sprintf("%q", r.Key),
			"must be a Secret key (letters, digits, '-', '_', '.'): " + strings.Join(msgs, "; ")})
	}
	return errs
}

// CheckStorageClass checks an optional StorageClass name (a DNS-1123 subdomain): a bad one
// is accepted by nothing, and the PVC stays Pending.
func CheckStorageClass(field, v string) error {
	if v == "" {
		return nil
	}
	if msgs := validation.IsDNS1123Subdomain(v); len(msgs) > 0 {
		return &FieldError{field, fmt.Sprintf("%q", v), "must be a StorageClass name, or empty for the cluster default: " + strings.Join(msgs, "; ")}
	}
	return nil
}

// CheckEnvName checks an environment variable name by the rule the Kubernetes API server
// applies to a container's env (validation.IsEnvVarName: letters, digits, '_', '-', '.',
// not starting with a digit); codex passes MCP env the same way.
func CheckEnvName(field, name string) error {
	if msgs := validation.IsEnvVarName(name); len(msgs) > 0 {
		return &FieldError{field, fmt.Sprintf("%q", name), "must be an environment variable name, e.g. GITHUB_HOST: " + strings.Join(msgs, "; ")}
	}
	return nil
}
