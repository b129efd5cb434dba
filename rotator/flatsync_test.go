package rotator

import (
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
	r := e.seed()
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
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
