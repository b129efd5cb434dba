package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// oauthIssuer is a STAND-IN for OpenAI's token endpoint (https://auth.openai.com/oauth/token),
// the one the rotator (--token-url) and LiteLLM's authenticator refresh against. It does only
// what this system relies on, as OpenAI's endpoint does it:
//   - a refresh token is single-use: it is spent the moment the request arrives, and a second
//     use answers 401 {"error": {"code": "refresh_token_reused"}} (the shape codex parses,
//     codex-rs/core/src/auth.rs; rotator/refresh.go reads both this and the OAuth form);
//   - the answer is a new {id_token, access_token, refresh_token} triple for the same ChatGPT
//     account (claim https://api.openai.com/auth.chatgpt_account_id), the access token a JWT
//     with an exp (codexauth.JWTExpiry).
//
// The stand-in cannot know the account of a refresh token it did not issue: tests seed
// accounts with refresh tokens of the form "rt-<account>-<anything>".
type oauthIssuer struct {
	lifetime time.Duration

	mu       sync.Mutex
	spent    map[string]bool
	issued   int
	requests []oauthRecord
}

// oauthRecord is what the token endpoint saw, for GET /_oauth/records.
type oauthRecord struct {
	Time         time.Time `json:"time"`
	ClientID     string    `json:"client_id"`
	GrantType    string    `json:"grant_type"`
	RefreshToken string    `json:"refresh_token"`
	Status       int       `json:"status"`
	Error        string    `json:"error,omitempty"`
}

func newOAuthIssuer(lifetime time.Duration) *oauthIssuer {
	return &oauthIssuer{lifetime: lifetime, spent: map[string]bool{}}
}

func (o *oauthIssuer) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /oauth/token", o.handleToken)
	mux.HandleFunc("GET /_oauth/records", func(w http.ResponseWriter, _ *http.Request) {
		o.mu.Lock()
		defer o.mu.Unlock()
		writeJSON(w, http.StatusOK, append([]oauthRecord{}, o.requests...))
	})
}

func (o *oauthIssuer) handleToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID     string `json:"client_id"`
		GrantType    string `json:"grant_type"`
		RefreshToken string `json:"refresh_token"`
	}
	rec := oauthRecord{Time: time.Now().UTC()}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		o.answerError(w, &rec, http.StatusBadRequest, "invalid_request", "the body is not JSON: "+err.Error())
		return
	}
	rec.ClientID, rec.GrantType, rec.RefreshToken = req.ClientID, req.GrantType, req.RefreshToken
	if req.GrantType != "refresh_token" {
		o.answerError(w, &rec, http.StatusBadRequest, "unsupported_grant_type", "only grant_type=refresh_token is served by this stand-in")
		return
	}
	account, ok := accountOfRefreshToken(req.RefreshToken)
	if !ok {
		o.answerError(w, &rec, http.StatusUnauthorized, "refresh_token_invalidated", "unknown refresh token (the stand-in issues rt-<account>-<n>)")
		return
	}
	o.mu.Lock()
	if o.spent[req.RefreshToken] {
		o.mu.Unlock()
		o.answerError(w, &rec, http.StatusUnauthorized, "refresh_token_reused", "Your refresh token has already been used to generate a new access token.")
		return
	}
	o.spent[req.RefreshToken] = true
	o.issued++
	n := o.issued
	o.mu.Unlock()

	exp := time.Now().Add(o.lifetime)
	tokens := map[string]string{
		"access_token":  standinJWT(exp, account, fmt.Sprintf("access-%d", n)),
		"id_token":      standinJWT(exp, account, fmt.Sprintf("id-%d", n)),
		"refresh_token": fmt.Sprintf("rt-%s-%d", account, n),
	}
	rec.Status = http.StatusOK
	o.record(rec)
	writeJSON(w, http.StatusOK, tokens)
}

func (o *oauthIssuer) answerError(w http.ResponseWriter, rec *oauthRecord, status int, code, msg string) {
	rec.Status, rec.Error = status, code
	o.record(*rec)
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (o *oauthIssuer) record(rec oauthRecord) {
	o.mu.Lock()
	o.requests = append(o.requests, rec)
	o.mu.Unlock()
}

// accountOfRefreshToken reads <account> out of "rt-<account>-<anything>".
func accountOfRefreshToken(rt string) (string, bool) {
	rest, ok := strings.CutPrefix(rt, "rt-")
	if !ok {
		return "", false
	}
	account, _, ok := strings.Cut(rest, "-")
	return account, ok && account != ""
}

// standinJWT is an unsigned JWT shaped like ChatGPT's: exp, and the account id claim the
// rotator, LiteLLM and codex read. Nothing here verifies signatures.
func standinJWT(exp time.Time, account, jti string) string {
	enc := func(v any) string {
		data, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(data)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(map[string]any{
		"exp":                         exp.Unix(),
		"jti":                         jti,
		"https://api.openai.com/auth": map[string]string{"chatgpt_account_id": account},
	}) + ".standin"
}
