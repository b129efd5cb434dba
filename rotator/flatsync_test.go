package rotator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// LiteLLM refreshes in the middle of a switch: its write of account 1's new tokens lands
// after the rotator gave it account 2. The next tick keeps account 1's new pair and
// treats account 1 as active (it is what LiteLLM holds), so nothing is lost.
func TestLiteLLMOverwritesASwitch(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
	r := e.seedThenRotate()
	if e.flat().RefreshToken != "rt-2" {
		t.Fatal("setup: no switch to account 2")
	}
	late, _ := codexauth.NewCodexAuth(tokens(t, "u1", "rt-1b", t0.Add(10*24*time.Hour)), t0).Flat()
	e.writeFile(codexauth.AuthFileName, mustJSON(t, late))

	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if got := e.accountRT(1); got != "rt-1b" {
		t.Errorf("auth-1.json holds %q, want LiteLLM's late rt-1b", got)
	}
	if st := e.status(); st.Active != 1 || !strings.Contains(st.LastDecision, "adopting") {
		t.Errorf("status active %d, decision %q; want account 1 adopted", st.Active, st.LastDecision)
	}
	if e.flat().RefreshToken != "rt-1b" {
		t.Errorf("the flat file was rewritten although it held the newest tokens")
	}
}

func TestTickRepairsABrokenOrMissingFlatFile(t *testing.T) {
	for name, broken := range map[string][]byte{
		"empty (LiteLLM crashed mid-write)": {},
		"truncated":                         []byte(`{"access_token": "eyJ`),
		"missing":                           nil,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
			e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
			r := e.seed()
			if broken == nil {
				os.Remove(e.path(codexauth.AuthFileName))
			} else {
				e.writeFile(codexauth.AuthFileName, broken)
			}
			e.clock.Advance(time.Minute) // long before the interval
			r.Tick(t.Context())
			f := e.flat() // valid again
			if f.RefreshToken != "rt-1" && f.RefreshToken != "rt-2" {
				t.Errorf("flat holds %q", f.RefreshToken)
			}
			if e.accountRT(1) != "rt-1" || e.accountRT(2) != "rt-2" {
				t.Errorf("account files changed: %q %q", e.accountRT(1), e.accountRT(2))
			}
		})
	}
}

// An operator moves the active account to --reserved. The rotator may not read or write
// auth-1.json any more, so LiteLLM's newer tokens for it go to a rescue file instead of
// being dropped when the flat file switches to account 2.
func TestAccountMovedToReservedWhileActiveIsRescued(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
	e.seed()
	refreshed, _ := codexauth.NewCodexAuth(tokens(t, "u1", "rt-1b", t0.Add(10*24*time.Hour)), t0).Flat()
	e.writeFile(codexauth.AuthFileName, mustJSON(t, refreshed))
	auth1, _ := os.ReadFile(e.path("auth-1.json"))

	e.cfg.Accounts, e.cfg.Reserved = []int{2}, []int{1, 3}
	e.resetReads()
	r := e.rotator()
	r.Start(t.Context())

	if e.flat().RefreshToken != "rt-2" {
		t.Errorf("LiteLLM holds %q, want account 2", e.flat().RefreshToken)
	}
	now, _ := os.ReadFile(e.path("auth-1.json"))
	if string(now) != string(auth1) || e.wasRead("auth-1.json") {
		t.Errorf("auth-1.json (now reserved) was read or written")
	}
	matches, _ := filepath.Glob(e.path("rescued-auth-*.json"))
	if len(matches) != 1 {
		t.Fatalf("rescue files: %v", matches)
	}
	data, _ := os.ReadFile(matches[0])
	if a, err := codexauth.ParseCodexAuth(data); err != nil || a.Tokens.RefreshToken != "rt-1b" {
		t.Errorf("rescue file = %v, %v; want rt-1b", a.Tokens, err)
	}
	if !strings.Contains(e.status().LastDecision, "saved to rescued-auth-") {
		t.Errorf("decision %q does not say where the tokens went", e.status().LastDecision)
	}
}

// A flat file that was unusable for a moment and is fine again (LiteLLM finished its
// write) does not force a switch.
func TestARecoveredFlatFileForcesNothing(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
	r := e.seed()
	good, _ := os.ReadFile(e.path(codexauth.AuthFileName))
	r.forceSwitch = "the flat token file does not parse (test)"
	e.writeFile(codexauth.AuthFileName, good)
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if e.flat().RefreshToken != "rt-1" {
		t.Errorf("switched away from account 1 although the flat file is fine")
	}
}

// LiteLLM's flat file holds account 1's newest pair, refreshed by LiteLLM, with expires_at
// in a form the rotator does not write (LiteLLM reads all of them with float()): the pair is
// copied back, not discarded, and LiteLLM's file is rewritten only into the canonical form
// of the same pair.
func TestFlatFileWithAnOddExpiresAtIsCopiedBack(t *testing.T) {
	for name, field := range map[string]string{
		"float":          `, "expires_at": %d.5`,
		"numeric string": `, "expires_at": "%d"`,
		"missing":        ``,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
			e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
			r := e.seed()
			exp := t0.Add(9 * 24 * time.Hour)
			toks := tokens(t, "u1", "rt-1L", exp)
			if strings.Contains(field, "%d") {
				field = fmt.Sprintf(field, exp.Unix())
			}
			e.writeFile(codexauth.AuthFileName, []byte(`{"access_token": "`+toks.AccessToken+`", "refresh_token": "rt-1L", "id_token": "`+
				toks.IDToken+`", "account_id": "acct-u1"`+field+`}`))

			e.clock.Advance(time.Minute)
			r.Tick(t.Context())
			if got := e.accountRT(1); got != "rt-1L" {
				t.Errorf("auth-1.json holds %q, want LiteLLM's newer rt-1L copied back", got)
			}
			if got := e.flat().RefreshToken; got != "rt-1L" {
				t.Errorf("LiteLLM holds %q, want its own rt-1L kept", got)
			}
			e.liteLLMSafe(e.clock.Now().Add(checkEvery))
			if st := e.status(); st.Active != 1 || !st.Ready {
				t.Errorf("status = %+v, want account 1 active and ready", st)
			}
		})
	}
}

// A flat file that holds a refresh token but cannot be read as a login (its access token
// is not a JWT) is not simply overwritten: the rotator cannot tell whose token it is, so it
// keeps a copy before it repairs the file.
func TestUnreadableFlatFileWithARefreshTokenIsRescued(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
	r := e.seed()
	odd := []byte(`{"access_token": "opaque-not-a-jwt", "refresh_token": "rt-odd", "expires_at": 4102444800}`)
	e.writeFile(codexauth.AuthFileName, odd)
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	e.liteLLMSafe(e.clock.Now().Add(checkEvery))
	matches, _ := filepathGlob(e.dir, "rescued-*.json")
	if len(matches) != 1 {
		t.Fatalf("rescue files = %v, want one holding rt-odd:\n%s", matches, e.logs.String())
	}
	data, _ := os.ReadFile(matches[0])
	if !strings.Contains(string(data), "rt-odd") {
		t.Errorf("rescue file %s = %s, want it to hold rt-odd", matches[0], data)
	}
	if info, _ := os.Stat(matches[0]); info.Mode().Perm() != 0o600 {
		t.Errorf("rescue file mode %v, want 0600", info.Mode().Perm())
	}
	// A second tick with the same file already repaired rescues nothing more.
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if again, _ := filepathGlob(e.dir, "rescued-*.json"); len(again) != 1 {
		t.Errorf("rescue files after another tick = %v", again)
	}
}

// A refresh may issue a token that lives shorter than its predecessor: generations are
// ordered by when they were issued, or the copy-back would restore a spent pair over its
// successor.
func TestNewerTokensOrdersByIssueTime(t *testing.T) {
	old := codexauth.Tokens{RefreshToken: "rt-1", AccessToken: accessTokenIssued(t, "u1", t0.Add(-time.Hour), t0.Add(4*time.Minute))}
	short := codexauth.Tokens{RefreshToken: "rt-1b", AccessToken: accessTokenIssued(t, "u1", t0, t0.Add(30*time.Second))}
	if !newerTokens(short, old) || newerTokens(old, short) {
		t.Errorf("newerTokens: the pair issued later (but expiring sooner) must be the newer one")
	}
	noIat := codexauth.Tokens{RefreshToken: "rt-x", AccessToken: mintJWT(t, map[string]any{"sub": "u1", "exp": t0.Add(time.Hour).Unix()})}
	if !newerTokens(noIat, old) {
		t.Errorf("newerTokens: without iat on one side, the later exp wins")
	}
}
