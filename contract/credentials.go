package contract

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"cloud-codex/codexauth"
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

// keyQualifiers are the words before KEY that make KEY a credential wherever it stands in
// the name (API_KEY_V2, MASTER_KEY, SSHKEY); a KEY that ends the name is one anyway.
var keyQualifiers = []string{"API", "ACCESS", "PRIVATE", "SECRET", "MASTER", "SALT", "SIGNING", "ENCRYPTION", "AUTH", "CLIENT",
	"SERVICE", "SSH", "SESSION", "HMAC", "JWT"}

// nonSecretKeyQualifiers are the words before a last KEY that make it a key of something
// that is not a secret: a public key (SSH_PUBLIC_KEY, STRIPE_PUBLISHABLE_KEY), codex's
// env_key (the name of a variable), and keys of tables, caches, objects and maps
// (PRIMARY_KEY, topologyKey, CACHE_KEY). A small, explicit allow-list: every other *_KEY is
// a credential name.
var nonSecretKeyQualifiers = []string{"PUBLIC", "PUBLISHABLE", "ENV", "PRIMARY", "FOREIGN", "SORT", "PARTITION", "CACHE",
	"TOPOLOGY", "LABEL", "IDEMPOTENCY", "OBJECT", "SHORTCUT"}

// passPrefixes are the words a last segment ending in PASS starts with when it is short for
// a password (PGPASS, DBPASS, SMTPPASS); a segment PASS on its own is one too (DB_PASS,
// smtpPass). Other words ending in PASS are not (BYPASS, COMPASS), nor is PASS before
// another word (PASS_THROUGH).
var passPrefixes = []string{"DB", "PG", "SMTP", "MYSQL", "REDIS", "LDAP", "FTP", "USER", "ROOT", "ADMIN", "MAIL"}

// nonSecretSuffixes are last segments that make a credential-looking name describe one
// instead of holding it (CHATGPT_TOKEN_DIR, TOKEN_URL, SECRET_NAME, codex's
// cli_auth_credentials_store, API_KEY_ENV, CODEX_TOKEN_BUDGET, TOKEN_REFRESH_INTERVAL), or
// name a property of one, not its value (TOKEN_ISSUER, TOKEN_AUDIENCE, TOKEN_SCOPES,
// JWT_TOKEN_ALGORITHM, Postgres' password_encryption = 'scram-sha-256').
// AWS_ACCESS_KEY_ID is the exception: by convention it is handled as a credential, and the
// key id names the account. A name says nothing about its value: a URL named *_URL that carries user:password@ is a credential
// by its shape (CredentialPatterns), whatever its name.
var nonSecretSuffixes = []string{"DIR", "PATH", "FILE", "URL", "URI", "ENDPOINT", "NAME", "ID", "TYPE", "TTL", "EXPIRY",
	"EXPIRES", "LIMIT", "SIZE", "COUNT", "HEADER", "REF", "KIND", "MODE", "LENGTH", "LEN", "FORMAT", "ENABLED",
	"REQUIRED", "VERSION", "PREFIX", "SOURCE", "TOKENIZER", "TOKENS", "STORE", "STORAGE", "PROVIDER", "HELPER", "ENV", "VAR",
	"BUDGET", "TIMEOUT", "INTERVAL", "ISSUER", "AUDIENCE", "SCOPE", "SCOPES", "ALGORITHM", "ENCRYPTION"}

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

// IsCredentialName reports whether a setting's name says it holds a credential: a
// TOKEN, SECRET, PASSWORD, PASSWD, PASSPHRASE, CREDENTIAL or APIKEY word anywhere, a PAT
// word, a KEY after API/PRIVATE/MASTER/... anywhere, a last KEY (OPENAI_KEY, SSH_KEY)
// unless it is a public or table key (nonSecretKeyQualifiers), a last PASS (DB_PASS,
// PGPASS), a last AUTHORIZATION, in any case or camelCase, unless its last word says it
// describes one (a _DIR, _URL, _NAME, _FILE...).
func IsCredentialName(name string) bool {
	segs := NameSegments(name)
	if len(segs) == 0 {
		return false
	}
	if strings.Contains(strings.Join(segs, "_"), "ACCESS_KEY") {
		return true // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
	}
	last := len(segs) - 1
	if slices.Contains(nonSecretSuffixes, segs[last]) {
		return false
	}
	if segs[0] == "EXISTING" && slices.Contains(segs, "SECRET") {
		// Helm charts' references to a Secret the user made and to its keys
		// (existingSecret: grafana-admin, existingSecretPasswordKey: password).
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
		if s == "KEY" && i > 0 && (slices.Contains(keyQualifiers, segs[i-1]) ||
			i == last && !slices.Contains(nonSecretKeyQualifiers, segs[i-1])) {
			return true // API_KEY_V2; OPENAI_KEY, SSH_KEY, but not SSH_PUBLIC_KEY, PRIMARY_KEY_COLUMN
		}
		if strings.HasSuffix(s, "KEY") && slices.Contains(keyQualifiers, strings.TrimSuffix(s, "KEY")) {
			return true // APIKEY, MASTERKEY
		}
	}
	switch s := segs[last]; {
	case s == "PASS", strings.HasSuffix(s, "PASS") && slices.Contains(passPrefixes, strings.TrimSuffix(s, "PASS")):
		return true // DB_PASS, PGPASS; not BYPASS, COMPASS, PASS_THROUGH
	case s == "AUTHORIZATION":
		return true // AUTHORIZATION, PROXY_AUTHORIZATION
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
	// Confirm, when set, must accept the credential (the first group) for it to count: a
	// URL's password that is a reference, a Bearer word in prose, a Basic value that does
	// not decode to user:password are not credentials.
	Confirm func(string) bool
	// Literals are strings one of which every match contains (ASCII case-insensitively):
	// a value without any is skipped without running RE, which costs a hundred times more
	// on the kilobytes of a script.
	Literals []string
}

// MayMatch reports whether v contains one of p's literals (always true without literals).
func (p CredentialPattern) MayMatch(v string) bool {
	if len(p.Literals) == 0 {
		return true
	}
	for _, l := range p.Literals {
		if containsFold(v, l) {
			return true
		}
	}
	return false
}

// containsFold is strings.Contains, ASCII case-insensitively, without copying v.
func containsFold(v, lit string) bool {
	n := len(lit)
	for i := 0; i+n <= len(v); i++ {
		if strings.EqualFold(v[i:i+n], lit) {
			return true
		}
	}
	return false
}

// CredentialPatterns are the shapes both judges look for: OpenAI/LiteLLM "sk-" keys,
// Stripe, Google, GitHub, GitLab, npm, Slack and AWS keys, JWTs (ChatGPT's access and id
// tokens are JWTs), Bearer and Basic authorization values, PEM private keys, and URLs
// whose userinfo carries a password (postgres://u:hunter2@db/x), whatever the setting's
// name.
var CredentialPatterns = []CredentialPattern{
	{What: "a JWT", RE: regexp.MustCompile(`(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)`), JWT: true, Literals: []string{"eyJ"}},
	{What: "an sk- API key", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(sk-[A-Za-z0-9][A-Za-z0-9_-]{7,})`), Literals: []string{"sk-"}},
	{What: "a Stripe key", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9_])((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,})`), Literals: []string{"_live_", "_test_"}},
	{What: "a Google API key", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?:$|[^A-Za-z0-9_-])`), Literals: []string{"AIza"}},
	{What: "a GitHub token", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9_])((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`), Literals: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
	{What: "a GitLab token", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(glpat-[A-Za-z0-9_-]{20,})`), Literals: []string{"glpat-"}},
	{What: "an npm token", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9_])(npm_[A-Za-z0-9]{36})(?:$|[^A-Za-z0-9])`), Literals: []string{"npm_"}},
	{What: "a Slack token", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9])(xox[abprs]-[A-Za-z0-9-]{10,})`), Literals: []string{"xox"}},
	{What: "an AWS access key id", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9])((?:AKIA|ASIA)[0-9A-Z]{16})(?:$|[^A-Za-z0-9])`), Literals: []string{"AKIA", "ASIA"}},
	{What: "a PEM private key", RE: regexp.MustCompile(`(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)`), Literals: []string{"-----BEGIN "}},
	{What: "a Bearer token", RE: regexp.MustCompile(`(?i:(?:^|[^A-Za-z0-9_])bearer\s+)([A-Za-z0-9._~+/-]{16,}=*)`), Confirm: looksRandom, Literals: []string{"bearer"}},
	{What: "a Basic authorization", RE: regexp.MustCompile(`(?i:(?:^|[^A-Za-z0-9_])basic\s+)([A-Za-z0-9+/]{8,}={0,2})(?:$|[^A-Za-z0-9+/=])`), Confirm: isBasicCredential, Literals: []string{"basic"}},
	{What: "a URL with a password", RE: regexp.MustCompile(`(?:^|[^A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:'"]*:[^\s/?#@'"]+@)`), Confirm: hasURLPassword, Literals: []string{"://"}},
}

// FindCredential returns the first credential-shaped string in v and what it is.
func FindCredential(v string) (what, found string, ok bool) {
	for _, p := range CredentialPatterns {
		if !p.MayMatch(v) {
			continue
		}
		for _, m := range p.RE.FindAllStringSubmatchIndex(v, -1) {
			start, end := m[0], m[1]
			if len(m) >= 4 && m[2] >= 0 {
				start, end = m[2], m[3]
			}
			if p.Confirm == nil || p.Confirm(v[start:end]) {
				return p.What, v[start:end], true
			}
		}
	}
	return "", "", false
}

// LooksLikeCredential reports whether a value contains a credential-shaped string.
func LooksLikeCredential(v string) bool {
	_, _, ok := FindCredential(v)
	return ok
}

// referenceValue matches values that point at a secret instead of holding one.
// Besides shell and template forms: Argo CD/Rollouts notifications' $secret-key (a key of
// their notifications Secret, dashes and dots allowed) and Grafana's $__file{path},
// $__env{VAR}, $__vault{ref} expansions.
var referenceValue = regexp.MustCompile(`^(\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_.-]*|\$__(?:file|env|vault)\{[^}]+\}|os\.environ/\S+|\{\{.*\}\}|<[^<>]*>|env:\S+|secret:\S+|file:\S+|vault:\S+|\*+|x+|X+|\.\.\.|…)$`)

// authSchemes are the words an Authorization value starts with before its credential.
var authSchemes = regexp.MustCompile(`^(?i:bearer|basic|token)\s+`)

// IsPlaceholderValue reports whether a literal is obviously not a secret: empty, a
// reference (${VAR}, $(VAR), $VAR, os.environ/VAR, {{ template }}, <placeholder>, ***),
// also after an authorization scheme (Bearer ${TOKEN}), a number, a boolean or null.
func IsPlaceholderValue(v string) bool {
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	v = authSchemes.ReplaceAllString(v, "")
	if v == "" || referenceValue.MatchString(v) {
		return true
	}
	switch strings.ToLower(v) {
	case "true", "false", "null", "none", "yes", "no", "on", "off":
		return true
	}
	return strings.IndexFunc(v, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' && r != '-' }) < 0
}

// placeholderPasswords are the words documentation writes where a URL's password goes
// (postgres://user:password@host/db).
var placeholderPasswords = []string{"password", "passwd", "pass", "pwd", "pw", "secret"}

// hasURLPassword: the userinfo of "scheme://user:password@" has a password that is not a
// reference ($(DB_PASSWORD), ${PASS}, <password>, %s) or a documentation placeholder.
func hasURLPassword(m string) bool {
	_, rest, _ := strings.Cut(m, "://")
	_, pass, ok := strings.Cut(strings.TrimSuffix(rest, "@"), ":")
	if !ok || pass == "" {
		return false
	}
	if p, err := url.PathUnescape(pass); err == nil {
		pass = p
	}
	if IsPlaceholderValue(pass) || strings.HasPrefix(pass, "$") || strings.HasPrefix(pass, "%") ||
		strings.HasPrefix(pass, "{") || slices.Contains(placeholderPasswords, strings.ToLower(pass)) {
		return false
	}
	return true
}

// looksRandom: a token after "Bearer" has letters and digits, so that prose ("Bearer
// authentication") is not taken for one.
func looksRandom(tok string) bool {
	return strings.ContainsFunc(tok, unicode.IsDigit) && strings.ContainsFunc(tok, unicode.IsLetter)
}

// isBasicCredential: the value after "Basic" decodes to printable user:password with a
// password.
func isBasicCredential(b64 string) bool {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !utf8.Valid(raw) {
		return false
	}
	s := string(raw)
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return false
	}
	_, pass, ok := strings.Cut(s, ":")
	return ok && pass != "" && !IsPlaceholderValue(pass)
}

// The ChatGPT/OpenAI credentials ADR-014 keeps in the auth pool, by shape, under whatever
// name they are stored: no-codex-credentials-outside-auth-pool judges every value a
// non-holder workload gets (a Secret it imports or mounts, an env literal) with
// FindChatGPTCredential. It is narrower than FindCredential on purpose: an agent
// legitimately gets an `sk-` LiteLLM virtual key (random characters after `sk-`, generated
// by pulumi-random), which is no OpenAI key. Every match of FindChatGPTCredential is also a
// match of FindCredential (its sk- and JWT patterns), so the agent's validation, which
// refuses any credential-shaped literal, refuses these too (a test keeps it so).
//
//   - OpenAI API keys: project keys `sk-proj-`, service-account keys `sk-svcacct-`, admin
//     keys `sk-admin-`, and legacy user keys, which carry "T3BlbkFJ" (base64 of "OpenAI")
//     in their middle;
//   - JWTs OpenAI issues for ChatGPT logins (codex's and LiteLLM's access and id tokens):
//     issuer https://auth.openai.com, or the https://api.openai.com/auth claim (the ChatGPT
//     account and plan) or https://api.openai.com/profile claim.
var openAIKeyRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]*)`)

// OpenAIIssuer is the issuer of ChatGPT login tokens; OpenAIAuthClaims are the claims
// OpenAI puts in them.
const OpenAIIssuer = "https://auth.openai.com"

var OpenAIAuthClaims = []string{"https://api.openai.com/auth", "https://api.openai.com/profile"}

// FindChatGPTCredential returns the first ChatGPT/OpenAI credential in v (above) and what
// it is.
func FindChatGPTCredential(v string) (what, found string, ok bool) {
	if strings.Contains(v, "sk-") {
		if m := openAIKeyRE.FindStringSubmatch(v); m != nil {
			return "an OpenAI API key", m[1], true
		}
	}
	if strings.Contains(v, "eyJ") {
		for _, m := range CredentialPatterns[0].RE.FindAllStringSubmatch(v, -1) {
			if IsOpenAIJWT(m[1]) {
				return "a ChatGPT/OpenAI-issued JWT", m[1], true
			}
		}
	}
	return "", "", false
}

// IsOpenAIJWT reports whether a JWT's payload names OpenAI's auth server as its issuer or
// carries OpenAI's auth claims. The signature is not checked: the shape is the evidence.
func IsOpenAIJWT(tok string) bool {
	claims, err := codexauth.JWTClaims(tok)
	if err != nil {
		return false
	}
	if iss, _ := claims["iss"].(string); strings.TrimRight(iss, "/") == OpenAIIssuer {
		return true
	}
	for _, c := range OpenAIAuthClaims {
		if _, ok := claims[c]; ok {
			return true
		}
	}
	return false
}
