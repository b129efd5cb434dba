package rotator

import (
	"strings"
	"testing"
	"time"
)

// Two slots holding one login: a copied file, or two logins of one ChatGPT user.

// An operator copies auth-1.json to auth-2.json (or restores a backup into the wrong
// slot): both slots hold the same refresh token. Refreshing one spends it for both, so
// the rotator must never present it again for the other slot (OpenAI answers
// refresh_token_reused, and reuse detection may revoke the whole login).
func TestDuplicateRefreshTokenIsNeverSpentTwice(t *testing.T) {
	e := newEnv(t)
	ep := newRotatingEndpoint(t, e.clock.Now)
	e.cfg.TokenURL = ep.URL
	ep.live("rt-1", "u1")
	login := codexAuthJSON(t, tokens(t, "u1", "rt-1", t0.Add(-time.Hour)))
	e.writeFile("auth-1.json", login)
	e.writeFile("auth-2.json", login)

	r := e.seed()
	for i := 0; i < 3; i++ {
		e.clock.Advance(31 * time.Minute)
		r.Tick(t.Context())
	}
	if reused := ep.reusedTokens(); len(reused) != 0 {
		t.Errorf("refresh tokens presented again after they were spent: %v", reused)
	}
	if a := e.account(2); a.State != StateInvalid || !strings.Contains(a.LastError, "account 1") {
		t.Errorf("account 2 = %+v, want invalid, naming account 1 as holding the same login", a)
	}
	if a := e.account(2); a.ParkedPermanently {
		t.Errorf("account 2 was parked for a login: %+v", a)
	}
	if got := e.flat().RefreshToken; got != e.accountRT(1) {
		t.Errorf("LiteLLM holds %q, want account 1's newest %q", got, e.accountRT(1))
	}
}

// The same with the two slots holding two logins of one ChatGPT user (a reserved spare
// of that user moved into rotation: Import checks only the accounts in rotation). After a
// switch, LiteLLM's late refresh of the old slot's tokens is recognised by identity and
// must not be copied over the new slot's own login.
func TestSameUserInTwoSlotsIsNotUsedTwice(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1a", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u1", "rt-1b", t0.Add(5*24*time.Hour))
	e.seedThenRotate()
	if a := e.account(2); a.State != StateInvalid || !strings.Contains(a.LastError, "account 1") {
		t.Errorf("account 2 = %+v, want invalid, naming account 1", a)
	}
	if got := e.accountRT(2); got != "rt-1b" {
		t.Errorf("auth-2.json holds %q, want its own rt-1b untouched", got)
	}
	if got := e.flat().RefreshToken; got != "rt-1a" {
		t.Errorf("LiteLLM holds %q, want account 1's rt-1a", got)
	}
}

// Import refuses a login whose refresh token another account in rotation holds, even when
// its tokens carry no identity claims.
func TestImportRefusesAnotherAccountsRefreshToken(t *testing.T) {
	e := newEnv(t)
	anon := func(rt string) []byte {
		at := mintJWT(t, map[string]any{"exp": t0.Add(48 * time.Hour).Unix()})
		return []byte(`{"tokens":{"access_token":"` + at + `","refresh_token":"` + rt + `"}}`)
	}
	if err := Import(e.cfg, 1, anon("rt-same")); err != nil {
		t.Fatal(err)
	}
	err := Import(e.cfg, 2, anon("rt-same"))
	if err == nil || !strings.Contains(err.Error(), "account 1") {
		t.Errorf("Import of account 1's refresh token into 2 = %v, want a refusal naming account 1", err)
	}
	if err := Import(e.cfg, 1, anon("rt-same")); err != nil {
		t.Errorf("re-importing the same slot = %v, want it accepted", err)
	}
}
