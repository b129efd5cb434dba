package codexauth

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to every parser of the package, both as a whole file
// and as a JWT payload, and checks they never panic and agree with each other: whatever
// parses as a codex auth file converts to a flat file that passes Validate and parses
// back unchanged.
func FuzzParse(f *testing.F) {
	jwt := func(payload string) string {
		return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	good := jwt(`{"exp":1796000000,"sub":"u","https://api.openai.com/auth":{"chatgpt_user_id":"u","chatgpt_account_id":"a"}}`)
	f.Add([]byte(`{"tokens":{"access_token":"` + good + `","refresh_token":"rt","id_token":"` + good + `"}}`))
	f.Add([]byte(`{"access_token":"` + good + `","refresh_token":"rt","expires_at":1796000000}`))
	f.Add([]byte(`{"exp":1e300}`))
	f.Add([]byte(`{"exp":-1,"sub":7}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"tokens":null,"OPENAI_API_KEY":"sk-x"}`))
	f.Add([]byte(good))
	f.Add([]byte("a.b.c"))
	f.Add([]byte{0xff, 0xfe, '.', '.'})

	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := ParseCodexAuth(data); err == nil {
			flat, err := a.Flat()
			if err != nil {
				t.Fatalf("ParseCodexAuth accepted what Flat rejects: %v", err)
			}
			if err := flat.Validate(); err != nil {
				t.Fatalf("Flat() of a parsed file fails Validate: %v", err)
			}
			out, err := json.Marshal(flat)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseFlatToken(out)
			if err != nil || back != flat {
				t.Fatalf("flat file does not round-trip: %+v -> %+v, %v", flat, back, err)
			}
			_ = a.Tokens.Identity()
		}
		if ft, err := ParseFlatToken(data); err == nil {
			exp, err := JWTExpiry(ft.AccessToken)
			if err != nil || exp.Before(time.Unix(0, 0)) {
				t.Fatalf("ParseFlatToken accepted an access token without a sane exp: %v", err)
			}
			_ = ft.Validate()
			_ = ft.Identity()
		}
		LooksLikeCredentialFile(data)

		for _, tok := range []string{string(data), jwt(string(data))} {
			claims, cerr := JWTClaims(tok)
			exp, eerr := JWTExpiry(tok)
			if cerr != nil && eerr == nil {
				t.Fatalf("JWTExpiry succeeded where JWTClaims failed: %v", cerr)
			}
			if eerr == nil && (exp.Unix() <= 0 || exp.Unix() > maxExp) {
				t.Fatalf("JWTExpiry = %v, out of range", exp)
			}
			if cerr == nil && claims == nil {
				t.Fatal("JWTClaims returned nil claims without an error")
			}
			LooksLikeJWT(tok)
			TokenIdentity(tok, tok)
		}
	})
}
