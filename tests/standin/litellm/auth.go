package main

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// principal is who sent a request: the master key, or a virtual key.
type principal struct {
	master bool
	key    keyRecord // when !master
}

// authError is a refused authentication, answered as LiteLLM's ProxyException.
type authError struct {
	status  int
	message string
	typ     string
	param   *string
}

func (e *authError) write(w http.ResponseWriter) {
	writeProxyError(w, e.status, e.message, e.typ, e.param)
}

// authenticate mirrors litellm/proxy/auth/user_api_key_auth.py for the Bearer header only
// (the Authorization header; the API-Key and x-api-key headers LiteLLM also reads are not
// used by codex or the key registrar and are not implemented).
func (s *server) authenticate(r *http.Request) (principal, *authError) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return principal{}, &authError{http.StatusUnauthorized, "Authentication Error, No api key passed in.", errAuth, strPtr("None")}
	}
	key, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return principal{}, &authError{http.StatusUnauthorized, "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.", errAuth, strPtr("None")}
	}
	key = strings.TrimSpace(key)
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.settings.masterKey)) == 1 {
		return principal{master: true}, nil
	}
	if s.settings.databaseURL == "" {
		// Without a database the real proxy knows no virtual keys, only the master key.
		return principal{}, &authError{http.StatusUnauthorized, "Authentication Error, No connected db.", errAuth, strPtr("None")}
	}
	token := hashToken(key)
	rec, found := s.keys.byToken(token)
	if !found {
		return principal{}, &authError{http.StatusUnauthorized, fmt.Sprintf(
			"Authentication Error, Invalid proxy server token passed. Received API Key = %s, Key Hash (Token) =%s. "+
				"Unable to find token in cache or `LiteLLM_VerificationTokenTable`", abbreviate(key), token),
			errTokenNotFoundInDB, strPtr("key")}
	}
	return principal{key: rec}, nil
}

// allProxyModels is LiteLLM's allowlist entry for every model (SpecialModelNames.all_proxy_models).
const allProxyModels = "all-proxy-models"

// canCall mirrors _check_model_access_helper / _can_object_call_model in
// litellm/proxy/auth/auth_checks.py for a key: an empty allowlist, "*" or
// "all-proxy-models" allows every model; an entry with "*" is a wildcard pattern (matched
// against the requested name); otherwise the requested model_name must be listed. Model
// access groups, team aliases and the provider form of wildcard matching are not used by
// this system and are not implemented.
func canCall(models []string, model string) bool {
	if len(models) == 0 || slices.Contains(models, "*") || slices.Contains(models, allProxyModels) {
		return true
	}
	if slices.Contains(models, model) {
		return true
	}
	for _, pattern := range models {
		if strings.Contains(pattern, "*") && wildcardMatch(pattern, model) {
			return true
		}
	}
	return false
}

// wildcardMatch is is_model_allowed_by_pattern: the pattern with "*" read as ".*", anchored.
func wildcardMatch(pattern, model string) bool {
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re, err := regexp.Compile("^" + strings.Join(parts, ".*") + "$")
	return err == nil && re.MatchString(model)
}

// modelDenied is the answer when a key may not call model. The message and type are
// _can_object_call_model's; the status is its HTTP_401_UNAUTHORIZED (some later LiteLLM
// releases answer 403 with a ModelAccessDeniedProxyException instead).
func modelDenied(models []string, model string) *authError {
	return &authError{http.StatusUnauthorized,
		fmt.Sprintf("key not allowed to access model. This key can only access models=%s. Tried to access %s", pyList(models), model),
		errKeyModelDenied, strPtr("model")}
}

// pyList renders a list of strings as Python's repr does, as LiteLLM's messages show it.
func pyList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}
