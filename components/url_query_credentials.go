package components

import (
	"net/url"
	"slices"
	"strings"

	"cloud-codex/contract"
)

// queryCredentialNames are query parameters that carry a credential although their names
// pass contract.IsCredentialName, which judges a setting's name and leaves a bare "key" to
// its context: Google's ?key=, Azure SAS ?sig=, Azure Functions' ?code=, S3 presigned
// X-Amz-Signature and X-Amz-Credential.
var queryCredentialNames = []string{"key", "sig", "signature", "code", "auth", "x-amz-signature", "x-amz-credential"}

// isQueryCredential reports whether one query or fragment parameter carries a credential,
// by its name (?token=, ?access_token=, ?api_key=, ?key=) or by its value's shape.
func isQueryCredential(name, value string) bool {
	if value == "" || contract.IsPlaceholderValue(value) {
		return false
	}
	return contract.IsCredentialName(name) || slices.Contains(queryCredentialNames, strings.ToLower(name)) ||
		contract.LooksLikeCredential(value)
}

// maskQueryCredentials returns a raw query or fragment ("a=1&token=…") with the value of
// every credential-carrying parameter replaced by redactedMark, in place (order and the
// rest untouched), and whether it replaced any. An OAuth implicit-grant redirect carries
// its access_token in the fragment, so a URL's fragment is read the same way.
func maskQueryCredentials(raw string) (string, bool) {
	if raw == "" {
		return raw, false
	}
	parts := strings.Split(raw, "&")
	masked := false
	for i, p := range parts {
		rawName, rawValue, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			name = rawName
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			value = rawValue
		}
		if isQueryCredential(name, value) {
			parts[i] = rawName + "=" + redactedMark
			masked = true
		}
	}
	return strings.Join(parts, "&"), masked
}
