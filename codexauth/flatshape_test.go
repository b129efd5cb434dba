package codexauth

import "testing"

// LiteLLM's flat file in every form LiteLLM and the rotator write it; other programs' token
// caches (a token_type, no ChatGPT account) and half files are not it.
func TestIsFlatTokenShape(t *testing.T) {
	for data, want := range map[string]bool{
		`{"access_token": "a", "refresh_token": "r", "expires_at": 1767225600}`:                         true,
		`{"access_token": "a", "refresh_token": "r", "expires_at": 1767225600.25}`:                      true,
		`{"access_token": "a", "refresh_token": "r", "expires_at": "1767225600"}`:                       true,
		`{"access_token": "a", "refresh_token": "r", "account_id": "acct-1"}`:                           true,
		`{"access_token": "a", "refresh_token": "r", "expires_at": 1767225600, "token_type": "Bearer"}`: false,
		`{"access_token": "a", "refresh_token": "r"}`:                                                   false,
		`{"access_token": "a", "expires_at": 1767225600, "account_id": "acct-1"}`:                       false,
		`{"refresh_token": "r", "account_id": "acct-1"}`:                                                false,
		`{"access_token": "a", "refresh_token": "r", "expires_at": "soon"}`:                             false,
		`[]`: false, `not json`: false,
	} {
		if got := IsFlatTokenShape([]byte(data)); got != want {
			t.Errorf("IsFlatTokenShape(%s) = %v, want %v", data, got, want)
		}
	}
}
