// Package codexauth models the two ChatGPT credential files of this system: codex's nested
// auth.json (what `codex login` writes, kept per account as auth-N.json) and LiteLLM's flat
// token file. Standard library only: the rotator, which ships as source to its pod, uses
// it, and so does the policy pack to recognise a credential file by name or content.
package codexauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
)

// Names of credential files.
const (
	// AuthFileName is codex's credential file under CODEX_HOME, and also the default name
	// of LiteLLM's flat token file under CHATGPT_TOKEN_DIR.
	AuthFileName = "auth.json"
	// CodexHomeDirName is codex's default home directory name (~/.codex).
	CodexHomeDirName = ".codex"
)

var accountFileRE = regexp.MustCompile(`^auth-([0-9]+)\.json$`)

// AccountFileName is the per-account codex auth file the device-auth station writes.
func AccountFileName(n int) string { return fmt.Sprintf("auth-%d.json", n) }

// IsCredentialFileName reports whether the last element of p names a codex credential
// file: auth.json or auth-N.json.
func IsCredentialFileName(p string) bool {
	base := path.Base(strings.TrimRight(p, "/"))
	return base == AuthFileName || accountFileRE.MatchString(base)
}

// CodexAuth is codex's nested auth.json.
type CodexAuth struct {
	AuthMode     string  `json:"auth_mode,omitempty"`
	OpenAIAPIKey *string `json:"OPENAI_API_KEY"`
	Tokens       *Tokens `json:"tokens"`
	LastRefresh  string  `json:"last_refresh,omitempty"`
}

// Tokens is the token set inside a CodexAuth.
type Tokens struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	AccountID    string `json:"account_id,omitempty"`
}

// FlatToken is LiteLLM's flat token file ($CHATGPT_TOKEN_DIR/auth.json).
type FlatToken struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	// ExpiresAt is unix seconds, always the access token's JWT exp.
	ExpiresAt int64  `json:"expires_at"`
	AccountID string `json:"account_id,omitempty"`
}

// ParseCodexAuth decodes and validates a nested codex auth file: it must carry ChatGPT
// tokens whose access token is a JWT with an exp.
func ParseCodexAuth(data []byte) (CodexAuth, error) {
	var a CodexAuth
	if err := json.Unmarshal(data, &a); err != nil {
		return CodexAuth{}, fmt.Errorf("codex auth.json: %w", err)
	}
	if a.Tokens == nil {
		return CodexAuth{}, errors.New("codex auth.json: no tokens (not a ChatGPT login)")
	}
	if err := validateTokens(a.Tokens.AccessToken, a.Tokens.RefreshToken); err != nil {
		return CodexAuth{}, fmt.Errorf("codex auth.json: %w", err)
	}
	return a, nil
}

// ParseFlatToken decodes LiteLLM's flat token file and checks that it carries usable
// tokens. It is deliberately lenient about expires_at: a file LiteLLM wrote holds the
// newest refresh token of its account whatever form expires_at takes (an integer, a float,
// a numeric string, or none at all), and reading it must not lose that token. An
// expires_at that is missing or not a number is returned as 0 (unknown). Validate is the
// strict check used before writing.
func ParseFlatToken(data []byte) (FlatToken, error) {
	var raw flatJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return FlatToken{}, fmt.Errorf("flat token file: %w", err)
	}
	f := FlatToken{
		AccessToken: raw.AccessToken, RefreshToken: raw.RefreshToken, IDToken: raw.IDToken,
		ExpiresAt: lenientExpiresAt(raw.ExpiresAt), AccountID: raw.AccountID,
	}
	if err := validateTokens(f.AccessToken, f.RefreshToken); err != nil {
		return FlatToken{}, fmt.Errorf("flat token file: %w", err)
	}
	return f, nil
}

// Expiry is when LiteLLM treats the flat file's access token as expired: the earlier of
// expires_at (what LiteLLM reads) and the JWT's exp (what ChatGPT enforces), or the JWT's
// exp alone when expires_at is unknown.
func (f FlatToken) Expiry() time.Time {
	exp, err := JWTExpiry(f.AccessToken)
	switch {
	case err != nil && f.ExpiresAt > 0:
		return time.Unix(f.ExpiresAt, 0)
	case err != nil:
		return time.Time{}
	case f.ExpiresAt > 0 && f.ExpiresAt < exp.Unix():
		return time.Unix(f.ExpiresAt, 0)
	}
	return exp
}

// Validate is the check every flat file must pass before it is written: usable tokens and
// an expires_at that is exactly the access token's exp (a wrong future value makes
// LiteLLM send an expired token and collect 401s instead of refreshing).
func (f FlatToken) Validate() error {
	if err := validateTokens(f.AccessToken, f.RefreshToken); err != nil {
		return err
	}
	exp, err := JWTExpiry(f.AccessToken)
	if err != nil {
		return fmt.Errorf("access_token: %w", err)
	}
	if f.ExpiresAt != exp.Unix() {
		return fmt.Errorf("expires_at %d is not the access token's exp %d", f.ExpiresAt, exp.Unix())
	}
	return nil
}

// Tokens returns the token set of a flat file, for writing it back into a codex auth file.
func (f FlatToken) Tokens() Tokens {
	return Tokens{
		IDToken:      f.IDToken,
		AccessToken:  f.AccessToken,
		RefreshToken: f.RefreshToken,
		AccountID:    f.AccountID,
	}
}

// NewCodexAuth builds a nested codex auth file around a ChatGPT token set, the way
// `codex login` writes it.
func NewCodexAuth(t Tokens, lastRefresh time.Time) CodexAuth {
	return CodexAuth{
		AuthMode:    "chatgpt",
		Tokens:      &t,
		LastRefresh: lastRefresh.UTC().Format(time.RFC3339),
	}
}

func validateTokens(access, refresh string) error {
	if refresh == "" {
		return errors.New("refresh_token missing")
	}
	if _, err := JWTExpiry(access); err != nil {
		return fmt.Errorf("access_token: %w", err)
	}
	return nil
}

// Flat converts a codex auth file to LiteLLM's flat form; expires_at comes from the access
// token's exp claim, never from the clock.
func (a CodexAuth) Flat() (FlatToken, error) {
	if a.Tokens == nil {
		return FlatToken{}, errors.New("no tokens")
	}
	exp, err := JWTExpiry(a.Tokens.AccessToken)
	if err != nil {
		return FlatToken{}, fmt.Errorf("access_token: %w", err)
	}
	accountID := a.Tokens.AccountID
	if accountID == "" {
		// LiteLLM derives a missing account_id from the JWTs and then rewrites the file in
		// place (not atomically); providing it avoids that write.
		accountID = ChatGPTAccountID(a.Tokens.IDToken, a.Tokens.AccessToken)
	}
	return FlatToken{
		AccessToken:  a.Tokens.AccessToken,
		RefreshToken: a.Tokens.RefreshToken,
		IDToken:      a.Tokens.IDToken,
		ExpiresAt:    exp.Unix(),
		AccountID:    accountID,
	}, nil
}

// LooksLikeCredentialFile reports whether data is a codex auth file or a flat token file,
// whatever its name.
func LooksLikeCredentialFile(data []byte) bool {
	var probe struct {
		Tokens       *Tokens `json:"tokens"`
		AccessToken  string  `json:"access_token"`
		RefreshToken string  `json:"refresh_token"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	return (probe.Tokens != nil && (probe.Tokens.RefreshToken != "" || probe.Tokens.AccessToken != "")) ||
		probe.RefreshToken != "" || probe.AccessToken != ""
}
