package rotator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// Issue D2: a refresh can return an access token that is already expired or about to be
// (a token endpoint or a clock that is off). Such a pair is stored, since the old refresh
// token is spent, but it is never handed to LiteLLM: its file must stay a login valid for
// more than LiteLLM's skew, so the rotator prefers another account or fails fast.

// grantExpiring answers a refresh with user's tokens, refresh token newRT, whose access
// token is issued at t0 and expires at exp.
func grantExpiring(t testing.TB, user, newRT string, exp time.Time) func(w http.ResponseWriter, rt string) {
	return func(w http.ResponseWriter, _ string) {
		json.NewEncoder(w).Encode(map[string]string{
			"id_token":      idToken(t, user, exp),
			"access_token":  accessTokenIssued(t, user, t0, exp),
			"refresh_token": newRT,
		})
	}
}

func TestSeedDoesNotHandOverAShortLivedRefresh(t *testing.T) {
	for name, life := range map[string]time.Duration{"already expired": -time.Hour, "30 s": 30 * time.Second} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.Accounts, e.cfg.Reserved = []int{1}, nil
			e.writeAccount(1, "u1", "rt-1", t0.Add(5*time.Minute)) // needs a refresh before use
			e.server.setHandler(grantExpiring(t, "u1", "rt-1b", t0.Add(life)))
			_, err := SeedWait(context.Background(), e.cfg, time.Hour, false)
			var none *NoUsableAccountError
			if !errors.As(err, &none) || none.NeedsLogin {
				t.Fatalf("SeedWait = %v; want no usable account, without asking for a login", err)
			}
			if _, err := os.Stat(e.path(codexauth.AuthFileName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("seed wrote LiteLLM's token file with an access token valid for %s", life)
			}
			if got := e.accountRT(1); got != "rt-1b" {
				t.Errorf("auth-1.json holds %q, want the new rt-1b stored (rt-1 is spent)", got)
			}
			wantError(t, e, 1, "valid only until")
		})
	}
}

// In run, the active account's refresh ahead of LiteLLM returns a 30 s token: LiteLLM gets
// the healthy account 2 instead, at that tick.
func TestTakeoverThatReturnsAShortLivedTokenSwitches(t *testing.T) {
	e, ep, r := guardEnv(t, t0.Add(10*24*time.Hour))
	ep.mu.Lock()
	ep.validFor = 30 * time.Second
	ep.mu.Unlock()
	at := e.tickUntil(r, 20, func() bool { return e.accountRT(1) != "rt-1" })
	if st := e.status(); st.Active != 2 || e.flat().RefreshToken != "rt-2" {
		t.Errorf("at %s: status active %d, flat %q; want account 2", at.Format(time.RFC3339), st.Active, e.flat().RefreshToken)
	}
	if got := e.accountRT(1); got != ep.liveToken("u1") {
		t.Errorf("auth-1.json holds %q, want the issued %q", got, ep.liveToken("u1"))
	}
	wantError(t, e, 1, "valid only until")
	if a := e.account(1); a.ParkedPermanently || strings.Contains(a.Action, "auth-login") {
		t.Errorf("account 1 = %+v; a short-lived token is no reason for a login", a)
	}
}
