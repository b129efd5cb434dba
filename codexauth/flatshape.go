package codexauth

import "encoding/json"

// flatJSON is LiteLLM's flat token file as written, read leniently: expires_at in any form
// (lenientExpiresAt), and token_type, which LiteLLM's and the rotator's files never carry,
// kept only to tell them from other programs' token caches.
type flatJSON struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	IDToken      string          `json:"id_token"`
	ExpiresAt    json.RawMessage `json:"expires_at"`
	AccountID    string          `json:"account_id"`
	TokenType    *string         `json:"token_type"`
}

// IsFlatTokenShape reports whether data has the shape of LiteLLM's flat token file,
// whatever its tokens look like (ParseFlatToken reads one; this only recognises one, for
// the policy pack, which must find such a file in any object of a stack): an access_token
// and a refresh_token, and either ChatGPT's account (account_id, or the account claim in a
// token) or a positive expires_at, read as LiteLLM reads it, with no token_type. Every
// OAuth client's token cache has a refresh token, so that alone says nothing; an OAuth
// token response always has a token_type (RFC 6749 section 5.1) and a client's cache keeps
// it.
func IsFlatTokenShape(data []byte) bool {
	var raw flatJSON
	if json.Unmarshal(data, &raw) != nil || raw.AccessToken == "" || raw.RefreshToken == "" {
		return false
	}
	if raw.AccountID != "" || ChatGPTAccountID(raw.AccessToken, raw.IDToken) != "" {
		return true
	}
	return raw.TokenType == nil && lenientExpiresAt(raw.ExpiresAt) > 0
}
