package rotator

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// The token endpoint's odd answers, met while rotating to account 2 (its access token
// expired). Whatever it answers, LiteLLM's file stays valid, the newest refresh token is
// on disk, and the account's state says what happened.
func TestTokenEndpointAnswers(t *testing.T) {
	fresh := t0.Add(31*time.Minute + 10*24*time.Hour)
	cases := []struct {
		name       string
		handle     func(t *testing.T) func(w http.ResponseWriter, rt string)
		flatRT     string // what LiteLLM holds afterwards
		account2RT string
		state      string
	}{
		{"200 returning the same refresh token", func(t *testing.T) func(http.ResponseWriter, string) {
			return grant(t, "u2", "rt-2", t0.Add(31*time.Minute))
		}, "rt-2", "rt-2", StateActive},
		{"200 without a refresh token", func(t *testing.T) func(http.ResponseWriter, string) {
			return func(w http.ResponseWriter, _ string) {
				json.NewEncoder(w).Encode(map[string]string{"access_token": accessToken(t, "u2", fresh)})
			}
		}, "rt-2", "rt-2", StateActive},
		{"200 with an HTML page", func(*testing.T) func(http.ResponseWriter, string) {
			return answer(200, "<html><body>maintenance</body></html>")
		}, "rt-1", "rt-2", StateParked},
		{"200 with a new refresh token and no access token", func(*testing.T) func(http.ResponseWriter, string) {
			return answer(200, `{"refresh_token":"rt-2b"}`)
		}, "rt-1", "rt-2b", StateParked},
		{"429 with Retry-After", func(*testing.T) func(http.ResponseWriter, string) {
			return func(w http.ResponseWriter, _ string) {
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(429)
				w.Write([]byte(`{"error":"rate_limited"}`))
			}
		}, "rt-1", "rt-2", StateParked},
		{"400 invalid_grant, OAuth form", func(*testing.T) func(http.ResponseWriter, string) {
			return answer(400, `{"error":"invalid_grant","error_description":"Refresh token expired"}`)
		}, "rt-1", "rt-2", StateNeedsDeviceAuth},
		{"401 HTML page", func(*testing.T) func(http.ResponseWriter, string) {
			return answer(401, "<html>Unauthorized</html>") // a gateway's page: no verdict on the token
		}, "rt-1", "rt-2", StateParked},
		{"401 invalid_client", func(*testing.T) func(http.ResponseWriter, string) {
			return answer(401, `{"error":"invalid_client"}`) // a wrong --client-id
		}, "rt-1", "rt-2", StateParked},
		{"401 refresh_token_expired", func(*testing.T) func(http.ResponseWriter, string) {
			return answer(401, `{"error":{"code":"refresh_token_expired"}}`)
		}, "rt-1", "rt-2", StateNeedsDeviceAuth},
		{"503 HTML page", func(*testing.T) func(http.ResponseWriter, string) {
			return answer(503, "<html>Service Unavailable</html>")
		}, "rt-1", "rt-2", StateParked},
		{"400 with a non-JSON body", func(*testing.T) func(http.ResponseWriter, string) {
			return answer(400, "bad request")
		}, "rt-1", "rt-2", StateParked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
			e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
			r := e.seed()
			e.server.setHandler(tc.handle(t))
			e.clock.Advance(31 * time.Minute)
			r.Tick(t.Context())
			if got := e.flat().RefreshToken; got != tc.flatRT {
				t.Errorf("LiteLLM holds %q, want %q", got, tc.flatRT)
			}
			if got := e.accountRT(2); got != tc.account2RT {
				t.Errorf("auth-2.json holds %q, want %q", got, tc.account2RT)
			}
			if a := e.account(2); a.State != tc.state {
				t.Errorf("account 2 = %+v, want state %s", a, tc.state)
			}
			if got := e.accountRT(1); got != "rt-1" {
				t.Errorf("auth-1.json holds %q", got)
			}
		})
	}
}
