package rotator

import (
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// Issue D4: the operator imports a fresh login of the active account's user into its slot
// while LiteLLM still holds the old pair. LiteLLM's file must get the newer, valid login:
// the old pair is a superseded generation, and waiting for it to be refreshed (or failing
// fast when it is too late to) leaves a healthy account unused.
func TestANewerLoginInTheActiveSlotIsHandedToLiteLLM(t *testing.T) {
	for name, left := range map[string]time.Duration{
		"days left":                     3 * 24 * time.Hour,
		"inside the takeover lead":      4 * time.Minute,
		"too close to refresh it here":  100 * time.Second,
		"inside LiteLLM's refresh skew": 40 * time.Second,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			ep := withEndpoint(e)
			e.cfg.Accounts, e.cfg.Reserved = []int{1}, nil
			old := codexauth.Tokens{
				IDToken: idToken(t, "u1", t0.Add(left)), RefreshToken: "rt-1", AccountID: "acct-u1",
				AccessToken: accessTokenIssued(t, "u1", t0.Add(-24*time.Hour), t0.Add(left)),
			}
			ep.live("rt-1", "u1")
			e.liteLLMHoldsActive(old)
			// The new login, imported a minute ago.
			fresh := codexauth.Tokens{
				IDToken: idToken(t, "u1", t0.Add(10*24*time.Hour)), RefreshToken: "rt-1N", AccountID: "acct-u1",
				AccessToken: accessTokenIssued(t, "u1", t0.Add(-time.Minute), t0.Add(10*24*time.Hour)),
			}
			if err := Import(e.cfg, 1, codexAuthJSON(t, fresh)); err != nil {
				t.Fatal(err)
			}
			ep.live("rt-1N", "u1")

			r := e.rotator()
			r.Start(t.Context())
			e.liteLLMSafe(e.clock.Now().Add(checkEvery))
			if got := e.flat().RefreshToken; got != "rt-1N" {
				t.Errorf("LiteLLM holds %q, want the newly imported rt-1N", got)
			}
			if got := e.accountRT(1); got != "rt-1N" {
				t.Errorf("auth-1.json holds %q, want rt-1N kept", got)
			}
			if st := e.status(); !st.Ready || st.Active != 1 {
				t.Errorf("status = %+v, want ready on account 1", st)
			}
			if seen := ep.seenTokens(); len(seen) != 0 {
				t.Errorf("refreshed %v: a valid login needs no refresh", seen)
			}
		})
	}
}

// The newer login in the active slot is itself close to expiry: the takeover ahead of
// LiteLLM refreshes it (its refresh token is the live one), not the superseded pair
// LiteLLM holds.
func TestTakeoverRefreshesTheNewerLoginInTheSlot(t *testing.T) {
	e := newEnv(t)
	ep := withEndpoint(e)
	e.cfg.Accounts, e.cfg.Reserved = []int{1}, nil
	old := codexauth.Tokens{
		IDToken: idToken(t, "u1", t0.Add(4*time.Minute)), RefreshToken: "rt-1", AccountID: "acct-u1",
		AccessToken: accessTokenIssued(t, "u1", t0.Add(-24*time.Hour), t0.Add(4*time.Minute)),
	}
	e.liteLLMHoldsActive(old)
	fresh := codexauth.Tokens{
		IDToken: idToken(t, "u1", t0.Add(8*time.Minute)), RefreshToken: "rt-1N", AccountID: "acct-u1",
		AccessToken: accessTokenIssued(t, "u1", t0.Add(-time.Minute), t0.Add(8*time.Minute)),
	}
	e.writeFile("auth-1.json", codexAuthJSON(t, fresh))
	ep.live("rt-1N", "u1")
	r := e.rotator()
	r.Start(t.Context())
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
	live := ep.liveToken("u1")
	if seen := ep.seenTokens(); len(seen) != 1 || seen[0] != "rt-1N" {
		t.Errorf("endpoint saw %v, want the slot's rt-1N refreshed once", seen)
	}
	if e.accountRT(1) != live || e.flat().RefreshToken != live {
		t.Errorf("auth-1.json %q, flat %q; want the new %q in both", e.accountRT(1), e.flat().RefreshToken, live)
	}
}
