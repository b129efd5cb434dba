package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testSource(t *testing.T, now time.Time) (tokenSource, string) {
	dir := t.TempDir()
	return tokenSource{path: filepath.Join(dir, "auth.json"), now: func() time.Time { return now }}, dir
}

func TestTokenSourceReadsTheFlatRecord(t *testing.T) {
	now := time.Now()
	src, dir := testSource(t, now)
	writeTokenFile(t, dir, validToken("at-1", "acct-1"))
	c, err := src.read()
	require.NoError(t, err)
	require.Equal(t, credentials{accessToken: "at-1", accountID: "acct-1"}, c)
}

// authenticator.py reads the file on every call: replacing it switches the account for the
// next request, without a restart.
func TestTokenSourceRereadsTheFileEveryTime(t *testing.T) {
	src, dir := testSource(t, time.Now())
	writeTokenFile(t, dir, validToken("at-1", "acct-1"))
	c, err := src.read()
	require.NoError(t, err)
	require.Equal(t, "at-1", c.accessToken)
	writeTokenFile(t, dir, validToken("at-2", "acct-2"))
	c, err = src.read()
	require.NoError(t, err)
	require.Equal(t, credentials{accessToken: "at-2", accountID: "acct-2"}, c)
}

// _is_token_expired: expired once now >= expires_at - 60 s.
func TestTokenSourceExpirySkew(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	src, dir := testSource(t, now)
	rec := validToken("at", "acct")

	rec["expires_at"] = now.Add(61 * time.Second).Unix()
	writeTokenFile(t, dir, rec)
	_, err := src.read()
	require.NoError(t, err, "61 s left is still valid")

	rec["expires_at"] = now.Add(60 * time.Second).Unix()
	writeTokenFile(t, dir, rec)
	_, err = src.read()
	var login *loginRequired
	require.ErrorAs(t, err, &login, "60 s left counts as expired")
	require.Contains(t, err.Error(), "refresh it itself")

	// A string number is read as float() reads it.
	rec["expires_at"] = "1900000600.5"
	writeTokenFile(t, dir, rec)
	_, err = src.read()
	require.NoError(t, err)
}

// Without expires_at the access token's JWT exp decides; without either, the token counts
// as expired.
func TestTokenSourceFallsBackToTheJWTExp(t *testing.T) {
	now := time.Now()
	src, dir := testSource(t, now)
	writeTokenFile(t, dir, map[string]any{"access_token": fakeJWT(now.Add(time.Hour), "")})
	_, err := src.read()
	require.NoError(t, err)

	writeTokenFile(t, dir, map[string]any{"access_token": fakeJWT(now.Add(30*time.Second), "")})
	_, err = src.read()
	require.ErrorContains(t, err, "start a device-code login", "expired and no refresh token: device login")

	writeTokenFile(t, dir, map[string]any{"access_token": "opaque-token-without-claims"})
	_, err = src.read()
	require.ErrorContains(t, err, "expired or expires within a minute")
}

// get_account_id: account_id, else the id token's chatgpt_account_id claim, else the
// access token's.
func TestTokenSourceAccountID(t *testing.T) {
	now := time.Now()
	src, dir := testSource(t, now)
	exp := now.Add(time.Hour)
	for name, tc := range map[string]struct {
		record map[string]any
		want   string
	}{
		"the field":               {map[string]any{"access_token": fakeJWT(exp, "from-access"), "id_token": fakeJWT(exp, "from-id"), "account_id": "field"}, "field"},
		"the id token's claim":    {map[string]any{"access_token": fakeJWT(exp, "from-access"), "id_token": fakeJWT(exp, "from-id")}, "from-id"},
		"the access token's":      {map[string]any{"access_token": fakeJWT(exp, "from-access")}, "from-access"},
		"none: no account header": {map[string]any{"access_token": fakeJWT(exp, "")}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			writeTokenFile(t, dir, tc.record)
			c, err := src.read()
			require.NoError(t, err)
			require.Equal(t, tc.want, c.accountID)
		})
	}
}

// Where the real proxy would log in, the stand-in fails with an error saying so.
func TestTokenSourceNamesTheDeviceLogin(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	src, dir := testSource(t, now)

	_, err := src.read()
	var login *loginRequired
	require.ErrorAs(t, err, &login)
	require.Contains(t, err.Error(), "is missing or unreadable")
	require.Contains(t, err.Error(), "authenticator.py")
	require.Contains(t, err.Error(), "device-code login")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "auth.json"), []byte("{not json"), 0o600))
	_, err = src.read()
	require.ErrorContains(t, err, "invalid JSON")
	require.ErrorContains(t, err, "device-code login")

	// A device code requested two minutes ago: the real proxy first waits out the 5-minute
	// cooldown for a token to appear.
	writeTokenFile(t, dir, map[string]any{"device_code_requested_at": float64(now.Add(-2 * time.Minute).Unix())})
	_, err = src.read()
	require.ErrorContains(t, err, "has no access_token and no refresh_token")
	require.ErrorContains(t, err, "first wait up to 3m0s")
}
