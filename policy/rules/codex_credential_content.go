package rules

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"cloud-codex/codexauth"
	"cloud-codex/contract"
)

// isCodexCredential reports whether a value is a ChatGPT/codex credential file, judged by
// content with the shapes codexauth models (not by "has a refresh_token": every OAuth
// token cache has one, issue 18):
//   - codex's nested auth.json (codexauth.CodexAuth): a tokens object carrying a refresh or
//     access token, or an API-key login (OPENAI_API_KEY set);
//   - LiteLLM's flat token file, by codexauth.IsFlatTokenShape (an OAuth client's token
//     cache, which has a token_type and no ChatGPT account, is not one).
func isCodexCredential(s string) bool {
	if isUnknown(s) || !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return false
	}
	var nested codexauth.CodexAuth
	if json.Unmarshal([]byte(s), &nested) == nil {
		if t := nested.Tokens; t != nil && (t.RefreshToken != "" || t.AccessToken != "") {
			return true
		}
		if k := nested.OpenAIAPIKey; k != nil && *k != "" {
			return true
		}
	}
	return codexauth.IsFlatTokenShape([]byte(s))
}

// credentialValue says which ChatGPT/OpenAI credential a value the stack holds is, "" if
// none, whatever name it is stored under: a codex credential file (isCodexCredential), one
// base64-encoded (a Secret's stringData holding the base64 of auth.json, or data encoded
// twice), an OpenAI API key or a ChatGPT/OpenAI-issued JWT (contract.FindChatGPTCredential,
// which the agent's validation agrees with). A LiteLLM virtual key (sk- and random
// characters, what an agent's key Secret holds) is none of these.
func credentialValue(s string) string {
	if isUnknown(s) || s == "" {
		return ""
	}
	if isCodexCredential(s) {
		return "a codex credential file"
	}
	if isBase64CodexCredential(s) {
		return "a base64-encoded codex credential file"
	}
	if what, _, ok := contract.FindChatGPTCredential(s); ok {
		return what
	}
	return ""
}

// looksLikeCredentialValue reports whether credentialValue finds a credential.
func looksLikeCredentialValue(s string) bool { return credentialValue(s) != "" }

// isBase64CodexCredential reports whether a value is the base64 (standard or URL alphabet,
// padded or not, wrapped in lines) of a codex credential file.
func isBase64CodexCredential(s string) bool {
	t := strings.Join(strings.Fields(s), "")
	// A JSON object's base64 starts with "ey" ('{' then '"' or a blank gives "eyJ", "eyAi", "ewo"...).
	if len(t) < 40 || !(strings.HasPrefix(t, "ey") || strings.HasPrefix(t, "ew") || strings.HasPrefix(t, "IC")) {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(t); err == nil {
			return isCodexCredential(string(b))
		}
	}
	return false
}

// registryAuthKeys are the Secret keys of container-registry credentials
// (kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg Secrets). Mounted as
// auth.json they are podman/skopeo's containers-auth.json, not a codex login.
var registryAuthKeys = map[string]bool{".dockerconfigjson": true, ".dockercfg": true}

// isRegistryHelperAuthFile reports whether a value is container tools' auth.json
// (containers-auth.json(5)) that holds no secret: credential helpers (credHelpers,
// credsStore) and registries with empty entries. Under the name auth.json it is not a codex
// login; one whose registries carry auth or tokens is still reported by its name.
func isRegistryHelperAuthFile(v string) bool {
	var f map[string]json.RawMessage
	if json.Unmarshal([]byte(v), &f) != nil || len(f) == 0 {
		return false
	}
	for k := range f {
		if k != "auths" && k != "credHelpers" && k != "credsStore" {
			return false
		}
	}
	var reg struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	if json.Unmarshal([]byte(v), &reg) != nil {
		return false
	}
	for _, e := range reg.Auths {
		if len(e) > 0 {
			return false
		}
	}
	return true
}

// isRegistryAuthPath reports whether a path is where container tools read registry
// credentials named auth.json (containers-auth.json(5): $XDG_RUNTIME_DIR/containers/,
// ~/.config/containers/, /etc/containers/), or a docker config directory.
func isRegistryAuthPath(p string) bool {
	dir := pathParent(p)
	return hasPathElement(dir, "containers") || hasPathElement(dir, ".docker")
}

func pathParent(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return ""
}
