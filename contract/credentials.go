package contract

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// What counts as a credential, by name and by shape. Contract because the agent's
// validation refuses credential literals in its env and MCP servers' env, and the pack
// reports them in ConfigMaps: two judges disagreed (GITHUB_PAT refused by one, passed by
// the other; Slack and AWS keys known to one only), and whatever one let through reached
// the other as a false pass.

// credentialWords mark a credential wherever they appear in a name segment (GITHUB_TOKEN,
// dbPassword, CLIENT_SECRET).
var credentialWords = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "APIKEY"}

// credentialSegments are whole segments that mark a credential (GITHUB_PAT).
var credentialSegments = []string{"PAT"}

// keyQualifiers are the words before KEY that make KEY a credential (API_KEY, MASTER_KEY).
var keyQualifiers = []string{"API", "ACCESS", "PRIVATE", "SECRET", "MASTER", "SALT", "SIGNING", "ENCRYPTION", "AUTH", "CLIENT", "SERVICE"}

// nonSecretSuffixes are last segments that make a credential-looking name describe one
// instead of holding it (CHATGPT_TOKEN_DIR, TOKEN_URL, SECRET_NAME, codex's
// cli_auth_credentials_store). AWS_ACCESS_KEY_ID is the exception: by convention it is
// handled as a credential, and the key id names the account.
var nonSecretSuffixes = []string{"DIR", "PATH", "FILE", "URL", "URI", "ENDPOINT", "NAME", "ID", "TYPE", "TTL", "EXPIRY",
	"EXPIRES", "LIMIT", "SIZE", "COUNT", "HEADER", "REF", "KIND", "MODE", "LENGTH", "LEN", "FORMAT", "ENABLED",
	"REQUIRED", "VERSION", "PREFIX", "SOURCE", "TOKENIZER", "TOKENS", "STORE", "STORAGE", "PROVIDER", "HELPER"}

// NameSegments splits a name into upper-case words at separators and camelCase bounds.
func NameSegments(name string) []string {
	var segs []string
	var cur []rune
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if len(cur) > 0 {
				segs = append(segs, strings.ToUpper(string(cur)))
				cur = nil
			}
			continue
		}
		if i > 0 && unicode.IsUpper(r) && unicode.IsLower(rs[i-1]) && len(cur) > 0 {
			segs = append(segs, strings.ToUpper(string(cur)))
			cur = nil
		}
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		segs = append(segs, strings.ToUpper(string(cur)))
	}
	return segs
}

// IsCredentialName reports whether a setting's name says it holds a credential: *_API_KEY,
// *TOKEN*, *SECRET*, *PASSWORD*, *PASSPHRASE*, *CREDENTIAL*, *_PAT, MASTER_KEY and the
// like, in any case or camelCase, unless its last word says it describes one (a _DIR,
// _URL, _NAME, _FILE...).
func IsCredentialName(name string) bool {
	segs := NameSegments(name)
	if len(segs) == 0 {
		return false
	}
	if strings.Contains(strings.Join(segs, "_"), "ACCESS_KEY") {
		return true // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
	}
	if slices.Contains(nonSecretSuffixes, segs[len(segs)-1]) {
		return false
	}
	for i, s := range segs {
		for _, w := range credentialWords {
			if strings.Contains(s, w) && !strings.HasPrefix(s, "TOKENIZ") {
				return true
			}
		}
		if slices.Contains(credentialSegments, s) {
			return true
		}
		if s == "KEY" && i > 0 && slices.Contains(keyQualifiers, segs[i-1]) {
			return true
		}
		if strings.HasSuffix(s, "KEY") && slices.Contains(keyQualifiers, strings.TrimSuffix(s, "KEY")) {
			return true // APIKEY, MASTERKEY
		}
	}
	return false
}

// CredentialPattern is a well-known credential shape found inside a value. The first
// group of RE, when present, is the credential itself (the rest is its boundary).
type CredentialPattern struct {
	What string
	RE   *regexp.Regexp
	// JWT marks the pattern whose matches a checker may confirm by decoding them.
	JWT bool
}

// CredentialPatterns are the shapes both judges look for: OpenAI/LiteLLM "sk-" keys,
// GitHub, Slack and AWS tokens, and JWTs (ChatGPT's access and id tokens are JWTs).
var CredentialPatterns = []CredentialPattern{
	{What: "a JWT", RE: regexp.MustCompile(`(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)`), JWT: true},
	{What: "an sk- API key", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(sk-[A-Za-z0-9][A-Za-z0-9_-]{7,})`)},
	{What: "a GitHub token", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9_])((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`)},
	{What: "a Slack token", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9])(xox[abprs]-[A-Za-z0-9-]{10,})`)},
	{What: "an AWS access key id", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9])(AKIA[0-9A-Z]{16})(?:$|[^A-Za-z0-9])`)},
}

// LooksLikeCredential reports whether a value contains a credential-shaped string.
func LooksLikeCredential(v string) bool {
	for _, p := range CredentialPatterns {
		if p.RE.MatchString(v) {
			return true
		}
	}
	return false
}
