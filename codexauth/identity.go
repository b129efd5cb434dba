package codexauth

// authClaim is the namespaced claim in ChatGPT's access and id tokens that names the user
// and the ChatGPT account (workspace) the tokens belong to.
const authClaim = "https://api.openai.com/auth"

// TokenIdentity names the ChatGPT login a token set belongs to, read from the JWT claims
// (user and account), or "" when the tokens carry no such claims.
//
// A refresh gives a login new tokens but keeps its identity, so the identity is how the
// rotator recognises whose tokens LiteLLM's flat file holds after LiteLLM refreshed them.
// The access token is preferred because LiteLLM's flat file always has one.
func TokenIdentity(accessToken, idToken string) string {
	for _, tok := range []string{accessToken, idToken} {
		if id := identityOf(tok); id != "" {
			return id
		}
	}
	return ""
}

// Identity is TokenIdentity of a codex token set.
func (t Tokens) Identity() string { return TokenIdentity(t.AccessToken, t.IDToken) }

// Identity is TokenIdentity of a flat file's tokens.
func (f FlatToken) Identity() string { return TokenIdentity(f.AccessToken, f.IDToken) }

// ChatGPTAccountID returns the chatgpt_account_id claim of the first token that has one,
// the way LiteLLM derives a flat file's account_id.
func ChatGPTAccountID(tokens ...string) string {
	for _, tok := range tokens {
		claims, err := JWTClaims(tok)
		if err != nil {
			continue
		}
		if auth, ok := claims[authClaim].(map[string]any); ok {
			if id := firstString(auth, "chatgpt_account_id"); id != "" {
				return id
			}
		}
	}
	return ""
}

func identityOf(token string) string {
	if token == "" {
		return ""
	}
	claims, err := JWTClaims(token)
	if err != nil {
		return ""
	}
	user, account := "", ""
	if auth, ok := claims[authClaim].(map[string]any); ok {
		user = firstString(auth, "chatgpt_user_id", "user_id")
		account = firstString(auth, "chatgpt_account_id")
	}
	if user == "" {
		user = firstString(claims, "sub")
	}
	if user == "" {
		// An account id alone is shared by every member of a ChatGPT team workspace: it
		// does not tell two logins apart.
		return ""
	}
	return "user=" + user + " account=" + account
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
