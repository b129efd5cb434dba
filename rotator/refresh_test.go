package rotator

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestClassifyRefreshFailure(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   failureKind
		code   string
	}{
		{400, `{"error":{"code":"refresh_token_reused","message":"already used"}}`, failNeedsLogin, "refresh_token_reused"},
		{401, `{"error":{"code":"refresh_token_expired"}}`, failNeedsLogin, "refresh_token_expired"},
		{400, `{"error":"refresh_token_invalidated","error_description":"revoked"}`, failNeedsLogin, "refresh_token_invalidated"},
		{400, `{"error":"invalid_grant"}`, failNeedsLogin, "invalid_grant"},
		{401, `Unauthorized`, failTransient, ""},
		{401, `<html>Unauthorized</html>`, failTransient, ""},
		{401, `{"error":{"message":"Could not validate your token"}}`, failTransient, ""},
		{401, `{"error":"invalid_client","error_description":"Unknown client"}`, failConfig, "invalid_client"},
		{400, `{"error":"unauthorized_client"}`, failConfig, "unauthorized_client"},
		{400, `{"error":"invalid_request"}`, failTransient, "invalid_request"},
		{429, `{"error":{"type":"usage_limit_reached"}}`, failUsageLimit, "usage_limit_reached"},
		{429, `{"error":{"message":"slow down"}}`, failRateLimited, ""},
		{500, `<html>oops</html>`, failTransient, ""},
		{503, ``, failTransient, ""},
	}
	for _, tc := range cases {
		e := classifyRefreshFailure(tc.status, []byte(tc.body))
		if e.Kind != tc.want || e.Code != tc.code {
			t.Errorf("classify(%d, %s) = kind %d code %q; want kind %d code %q", tc.status, tc.body, e.Kind, e.Code, tc.want, tc.code)
		}
	}
}

// A 200 whose access token is unusable may still carry a rotated refresh token: the old
// one may be spent, so the new one is kept in the account's file.
func TestRefreshKeepsANewRefreshTokenFromABrokenAnswer(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	e.server.setHandler(answer(200, `{"access_token":"garbage","refresh_token":"rt-2b","id_token":"x"}`))
	e.seedThenRotate()
	if got := e.accountRT(2); got != "rt-2b" {
		t.Errorf("auth-2.json holds %q, want the new rt-2b kept", got)
	}
	if got := e.flat().RefreshToken; got != "rt-1" {
		t.Errorf("LiteLLM holds %q, want account 1 (account 2's refresh failed)", got)
	}
	wantError(t, e, 2, "access_token unusable")
}

func TestRefreshRequest(t *testing.T) {
	e := newEnv(t)
	e.server.setHandler(grant(t, "u1", "rt-1b", t0))
	old := tokens(t, "u1", "rt-1", t0)
	got, err := e.rotator().ref.refresh(t.Context(), old)
	if err != nil {
		t.Fatal(err)
	}
	if got.RefreshToken != "rt-1b" || got.AccountID != old.AccountID || got.AccessToken == old.AccessToken {
		t.Errorf("refreshed = %+v", got)
	}
	// Network failure: transient.
	r := refresher{url: "http://127.0.0.1:1/oauth/token", clientID: DefaultClientID, client: &http.Client{Timeout: time.Second}}
	_, err = r.refresh(t.Context(), old)
	var re *refreshError
	if !errors.As(err, &re) || re.Kind != failTransient {
		t.Errorf("refresh against a closed port = %v, want a transient refreshError", err)
	}
}

// A token endpoint that answers with a redirect must not get the refresh token re-sent
// somewhere else: Go's client re-POSTs the body on 307/308, so the refresh token would
// reach whatever host the Location names. The redirect is a failed (transient) refresh.
func TestRefreshDoesNotFollowRedirects(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var elsewhere atomic.Int32
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				elsewhere.Add(1)
				grant(t, "u1", "rt-stolen", t0)(w, "")
			}))
			defer other.Close()
			e := newEnv(t)
			e.server.setHandler(func(w http.ResponseWriter, _ string) {
				w.Header().Set("Location", other.URL+"/oauth/token")
				w.WriteHeader(status)
			})
			_, err := e.rotator().ref.refresh(t.Context(), tokens(t, "u1", "rt-1", t0))
			var re *refreshError
			if !errors.As(err, &re) || re.Kind != failTransient || re.Status != status {
				t.Errorf("refresh answered by a %d = %v, want a transient refreshError with that status", status, err)
			}
			if n := elsewhere.Load(); n != 0 {
				t.Errorf("the redirect was followed: the other host got %d requests", n)
			}
		})
	}
}
