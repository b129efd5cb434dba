package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"cloud-codex/codexauth"

	"github.com/stretchr/testify/require"
)

func refresh(t *testing.T, url, rt string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"client_id": "app_x", "grant_type": "refresh_token", "refresh_token": rt})
	resp, err := http.Post(url+"/oauth/token", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestOAuthRefreshTokensAreSingleUse(t *testing.T) {
	b, err := newBackend("", "hi")
	require.NoError(t, err)
	srv := httptest.NewServer(b.routes())
	defer srv.Close()

	status, tokens := refresh(t, srv.URL, "rt-acct1-seed")
	require.Equal(t, http.StatusOK, status)
	access := tokens["access_token"].(string)
	require.Equal(t, "acct1", codexauth.ChatGPTAccountID(access), "same account as the refresh token")
	exp, err := codexauth.JWTExpiry(access)
	require.NoError(t, err)
	require.True(t, exp.After(time.Now().Add(24*time.Hour)))
	require.NotEqual(t, "rt-acct1-seed", tokens["refresh_token"])

	status, body := refresh(t, srv.URL, "rt-acct1-seed")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "refresh_token_reused", body["error"].(map[string]any)["code"])

	status, _ = refresh(t, srv.URL, tokens["refresh_token"].(string))
	require.Equal(t, http.StatusOK, status, "the new refresh token works once")

	status, body = refresh(t, srv.URL, "not-ours")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "refresh_token_invalidated", body["error"].(map[string]any)["code"])
}
