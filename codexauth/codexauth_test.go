package codexauth

import (
	"cloud-codex/internal/gosource/gosourcetest"

	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// mintJWT returns an unsigned compact JWT with these claims.
func mintJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(payload) + ".sig"
}

func chatgptJWT(t testing.TB, user string, exp time.Time) string {
	return mintJWT(t, map[string]any{
		"sub": "auth0|" + user,
		"exp": exp.Unix(),
		authClaim: map[string]any{
			"chatgpt_user_id":    "user-" + user,
			"chatgpt_account_id": "acct-1",
		},
	})
}

var exp = time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)

func TestParseCodexAuthAndFlat(t *testing.T) {
	access := chatgptJWT(t, "a", exp)
	data := []byte(`{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{"id_token":"` + access +
		`","access_token":"` + access + `","refresh_token":"rt","account_id":"acct-1"},"last_refresh":"2026-12-01T00:00:00Z","agent_identity":null}`)
	a, err := ParseCodexAuth(data)
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.Flat()
	if err != nil {
		t.Fatal(err)
	}
	if f.ExpiresAt != exp.Unix() || f.RefreshToken != "rt" || f.AccountID != "acct-1" {
		t.Errorf("Flat = %+v", f)
	}
	if err := f.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	round, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := ParseFlatToken(round); err != nil || g != f {
		t.Errorf("ParseFlatToken(Marshal(f)) = %+v, %v", g, err)
	}
	if back := NewCodexAuth(f.Tokens(), exp); back.Tokens.RefreshToken != "rt" || back.AuthMode != "chatgpt" {
		t.Errorf("NewCodexAuth = %+v", back)
	}
}

func TestFlatDerivesAMissingAccountID(t *testing.T) {
	access := chatgptJWT(t, "a", exp)
	f, err := NewCodexAuth(Tokens{AccessToken: access, RefreshToken: "rt"}, exp).Flat()
	if err != nil || f.AccountID != "acct-1" {
		t.Errorf("Flat = %+v, %v; want account_id from the chatgpt_account_id claim", f, err)
	}
}

func TestParseRejects(t *testing.T) {
	good := chatgptJWT(t, "a", exp)
	for name, data := range map[string]string{
		"not JSON":          `hello`,
		"null":              `null`,
		"API key only":      `{"OPENAI_API_KEY":"sk-x"}`,
		"no refresh token":  `{"tokens":{"access_token":"` + good + `"}}`,
		"opaque access":     `{"tokens":{"access_token":"abc","refresh_token":"rt"}}`,
		"JWT without exp":   `{"tokens":{"access_token":"` + mintJWT(t, map[string]any{"sub": "x"}) + `","refresh_token":"rt"}}`,
		"exp out of range":  `{"tokens":{"access_token":"` + mintJWT(t, map[string]any{"exp": 1e300}) + `","refresh_token":"rt"}}`,
		"payload null":      `{"tokens":{"access_token":"eyJhIjoxfQ.bnVsbA.sig","refresh_token":"rt"}}`,
		"exp is a string":   `{"tokens":{"access_token":"` + mintJWT(t, map[string]any{"exp": "tomorrow"}) + `","refresh_token":"rt"}}`,
		"tokens is an list": `{"tokens":[]}`,
	} {
		if _, err := ParseCodexAuth([]byte(data)); err == nil {
			t.Errorf("%s: ParseCodexAuth accepted %s", name, data)
		}
	}
	wrong := FlatToken{AccessToken: good, RefreshToken: "rt", ExpiresAt: exp.Unix() + 3600}
	if err := wrong.Validate(); err == nil || !strings.Contains(err.Error(), "not the access token's exp") {
		t.Errorf("Validate accepted expires_at != exp: %v", err)
	}
}

func TestTokenIdentity(t *testing.T) {
	a1 := chatgptJWT(t, "a", exp)
	a2 := chatgptJWT(t, "a", exp.Add(240*time.Hour)) // the same login after a refresh
	b := chatgptJWT(t, "b", exp)
	if TokenIdentity(a1, "") == "" || TokenIdentity(a1, "") != TokenIdentity(a2, "") {
		t.Errorf("a refresh changed the identity: %q vs %q", TokenIdentity(a1, ""), TokenIdentity(a2, ""))
	}
	if TokenIdentity(a1, "") == TokenIdentity(b, "") {
		t.Errorf("two users share the identity %q", TokenIdentity(b, ""))
	}
	onlyAccount := mintJWT(t, map[string]any{authClaim: map[string]any{"chatgpt_account_id": "acct-1"}})
	if id := TokenIdentity(onlyAccount, "garbage"); id != "" {
		t.Errorf("an account id alone gave identity %q (team members share it)", id)
	}
	if id := TokenIdentity("opaque", a1); id != TokenIdentity(a1, "") {
		t.Errorf("identity did not fall back to the id token: %q", id)
	}
}

func TestNamesAndProbes(t *testing.T) {
	if AccountFileName(3) != "auth-3.json" {
		t.Error(AccountFileName(3))
	}
	for p, want := range map[string]bool{"/x/auth.json": true, "auth-12.json": true, "/x/auth-1.json/": true, "auth-x.json": false, "config.toml": false} {
		if IsCredentialFileName(p) != want {
			t.Errorf("IsCredentialFileName(%q) != %v", p, want)
		}
	}
	if !LooksLikeJWT(" "+chatgptJWT(t, "a", exp)+"\n") || LooksLikeJWT("a.b.c") {
		t.Error("LooksLikeJWT")
	}
	if !LooksLikeCredentialFile([]byte(`{"refresh_token":"x"}`)) || LooksLikeCredentialFile([]byte(`{"model":"x"}`)) {
		t.Error("LooksLikeCredentialFile")
	}
}

func TestSourcesEmbedEveryFile(t *testing.T) { gosourcetest.CheckEmbedsEveryFile(t, Sources) }

// LiteLLM's flat file may carry expires_at as an integer, a float or a numeric string (its
// _is_token_expired takes float(expires_at)), or not at all. Whatever it says, the file
// still holds its account's newest refresh token: parsing must keep it, with an unusable
// or missing expires_at reported as 0 (unknown).
func TestParseFlatTokenIsLenientAboutExpiresAt(t *testing.T) {
	access := chatgptJWT(t, "a", exp)
	for name, tc := range map[string]struct {
		field string
		want  int64
	}{
		"integer":        {`,"expires_at":1796938773`, 1796938773},
		"float":          {`,"expires_at":1796938773.5`, 1796938773},
		"exponent":       {`,"expires_at":1.796938773e9`, 1796938773},
		"numeric string": {`,"expires_at":"1796938773"`, 1796938773},
		"float string":   {`,"expires_at":" 1796938773.9 "`, 1796938773},
		"missing":        {``, 0},
		"null":           {`,"expires_at":null`, 0},
		"not a number":   {`,"expires_at":"soon"`, 0},
		"negative":       {`,"expires_at":-5`, 0},
		"out of range":   {`,"expires_at":1e300`, 0},
		"an object":      {`,"expires_at":{"at":1}`, 0},
	} {
		data := []byte(`{"access_token":"` + access + `","refresh_token":"rt-L","id_token":""` + tc.field + `}`)
		f, err := ParseFlatToken(data)
		if err != nil {
			t.Errorf("%s: ParseFlatToken = %v; the refresh token would be lost", name, err)
			continue
		}
		if f.RefreshToken != "rt-L" || f.AccessToken != access || f.ExpiresAt != tc.want {
			t.Errorf("%s: ParseFlatToken = refresh %q, expires_at %d; want rt-L, %d", name, f.RefreshToken, f.ExpiresAt, tc.want)
		}
	}
}
