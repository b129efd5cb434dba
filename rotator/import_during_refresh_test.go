package rotator

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// account2NeedsRefresh is where these tests start: account 1 healthy, account 2's access
// token expired, both logins live at an endpoint that rotates refresh tokens on receipt.
func account2NeedsRefresh(t *testing.T) (*env, *rotatingEndpoint) {
	e := newEnv(t)
	ep := withEndpoint(e)
	ep.live("rt-2", "u2")
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	return e, ep
}

// An operator runs auth-login 2 while the rotator is refreshing account 2's old login:
// the import lands during the exchange. Writing the refreshed pair over it would silently
// lose the new login that import just reported as stored.
func TestImportDuringRefreshIsNotOverwritten(t *testing.T) {
	e, ep := account2NeedsRefresh(t)
	r := e.seed()

	imported := codexAuthJSON(t, tokens(t, "u2", "rt-2-new", t0.Add(5*24*time.Hour)))
	ep.setHold(func(*http.Request) {
		if err := Import(e.cfg, 2, imported); err != nil {
			t.Errorf("import during the refresh: %v", err)
		}
	})
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
	ep.setHold(nil)

	if got := e.accountRT(2); got != "rt-2-new" {
		t.Errorf("auth-2.json holds %q, want the login imported during the refresh (rt-2-new)", got)
	}
	// The refreshed pair of the old login is not lost either.
	if rescued := e.rescuedRefreshTokens(); !slices.Contains(rescued, "rt-2.r1") {
		t.Errorf("the refreshed pair (rt-2.r1) was stored nowhere; rescue files hold %v", rescued)
	}
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if got := e.flat().RefreshToken; got != "rt-2-new" && got != "rt-1" {
		t.Errorf("LiteLLM holds %q", got)
	}
	if reused := ep.reusedTokens(); len(reused) != 0 {
		t.Errorf("reused: %v", reused)
	}
}

// The import lands after the rotator checked auth-2.json for one and before it renamed the
// refreshed pair over it (auth-login runs in another process and does not wait for the
// rotator). Found by a black-box probe: about one import in thirty was overwritten, and
// the login it had reported as stored was lost. The rotator and Import now serialise on the
// volume's writer lock, so the import waits for the rename and then replaces the stored
// pair, as any import replaces the stored login.
func TestImportBetweenCheckAndRenameIsNotOverwritten(t *testing.T) {
	e, ep := account2NeedsRefresh(t)
	r := e.seed()

	importCfg := e.cfg
	importCfg.writer = &atomicWriter{} // the codex-cli station's own process
	imported := codexAuthJSON(t, tokens(t, "u2", "rt-2-new", t0.Add(5*24*time.Hour)))
	done := make(chan error, 1)
	started := false
	r.cfg.writer.rename = func(oldpath, newpath string) error {
		if filepath.Base(newpath) == "auth-2.json" && !started {
			started = true
			go func() { done <- Import(importCfg, 2, imported) }()
			select {
			case err := <-done: // not serialised: the import is about to be overwritten
				done <- err
			case <-time.After(200 * time.Millisecond): // waiting for the lock, as it should
			}
		}
		return os.Rename(oldpath, newpath)
	}
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
	r.cfg.writer.rename = nil
	if !started {
		t.Fatal("account 2 was not refreshed")
	}
	if err := <-done; err != nil {
		t.Fatalf("import: %v", err)
	}
	if got := e.accountRT(2); got != "rt-2-new" {
		t.Errorf("auth-2.json holds %q after the import reported success, want the imported login rt-2-new", got)
	}
	if reused := ep.reusedTokens(); len(reused) != 0 {
		t.Errorf("reused: %v", reused)
	}
}

// rescuedRefreshTokens lists the refresh tokens in the rescue files (rescued-auth-*.json).
func (e *env) rescuedRefreshTokens() []string {
	e.t.Helper()
	var out []string
	matches, _ := filepathGlob(e.dir, "rescued-auth-*.json")
	for _, m := range matches {
		data, _ := os.ReadFile(m)
		if a, err := codexauth.ParseCodexAuth(data); err == nil {
			out = append(out, a.Tokens.RefreshToken)
		}
	}
	return out
}

// A refreshed pair is held in memory because auth-2.json cannot be written, and the
// operator imports a new login into slot 2 meanwhile (from the codex-cli station, another
// process). Once the volume takes writes again, the held pair must not be written over the
// import: the import stays, the held pair goes to a rescue file.
func TestHeldPairDoesNotOverwriteALaterImport(t *testing.T) {
	e, _ := account2NeedsRefresh(t)
	r := e.seed()
	fix := failRenameOnto(e, "auth-2.json")
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
	if a := e.account(2); a.State != StateUnsaved {
		t.Fatalf("account 2 = %+v, want its refreshed pair held (unsaved)", a)
	}
	e.writeAccount(2, "u2", "rt-2-new", t0.Add(5*24*time.Hour)) // auth-login 2
	fix()
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if got := e.accountRT(2); got != "rt-2-new" {
		t.Errorf("auth-2.json holds %q, want the login imported meanwhile (rt-2-new)", got)
	}
	if rescued := e.rescuedRefreshTokens(); !slices.Contains(rescued, "rt-2.r1") {
		t.Errorf("the held pair (rt-2.r1) was stored nowhere; rescue files hold %v", rescued)
	}
	if a := e.account(2); a.State == StateUnsaved {
		t.Errorf("account 2 = %+v, still unsaved", a)
	}
}

// The same for the refresh token of an answer whose access token is unusable (kept because
// the old one may be spent): a login imported during that exchange is not overwritten.
func TestKeptRefreshTokenDoesNotOverwriteAnImport(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	r := e.seed()
	e.server.setHandler(func(w http.ResponseWriter, _ string) {
		e.writeAccount(2, "u2", "rt-2-new", t0.Add(5*24*time.Hour)) // auth-login 2, during the exchange
		answer(200, `{"access_token":"garbage","refresh_token":"rt-2b"}`)(w, "")
	})
	e.clock.Advance(31 * time.Minute)
	r.Tick(t.Context())
	if got := e.accountRT(2); got != "rt-2-new" {
		t.Errorf("auth-2.json holds %q, want the login imported meanwhile (rt-2-new)", got)
	}
	if rescued := e.rescuedRefreshTokens(); !slices.Contains(rescued, "rt-2b") {
		t.Errorf("the kept refresh token (rt-2b) was stored nowhere; rescue files hold %v", rescued)
	}
}

// Two rescues at one clock reading (the fake clock here; a coarse clock, or a refreshed
// pair and the flat file's tokens rescued in the same tick) must not share a file name:
// the second would replace the first and lose its refresh token.
func TestRescueFilesNeverReplaceEachOther(t *testing.T) {
	e := newEnv(t)
	r := e.rotator()
	var names []string
	for _, rt := range []string{"rt-a", "rt-b"} {
		name, err := r.store.writeRescueAuth(codexauth.NewCodexAuth(tokens(t, "u9", rt, t0.Add(time.Hour)), t0))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if names[0] == names[1] {
		t.Fatalf("both rescues went to %s", names[0])
	}
	for i, rt := range []string{"rt-a", "rt-b"} {
		data, _ := os.ReadFile(e.path(names[i]))
		if a, err := codexauth.ParseCodexAuth(data); err != nil || a.Tokens.RefreshToken != rt {
			t.Errorf("%s does not hold %s", names[i], rt)
		}
	}
}

// The rotator refreshes account 2's old login and hands the new pair to LiteLLM (and to
// auth-2.json); then the operator imports a new login of the same user into slot 2, whose
// access token was issued before that refresh. LiteLLM has refreshed nothing: the pair in
// its file is the rotator's own hand-over, so it must not be copied back over the import
// as if LiteLLM had refreshed it (an executed probe lost one import in thirty that way).
// The import stays and goes to LiteLLM; the handed-over pair goes to a rescue file. The
// same holds when the rotator restarted between the hand-over and the import.
func TestImportAfterHandOverIsNotCopiedOver(t *testing.T) {
	for _, restart := range []bool{false, true} {
		name := "same process"
		if restart {
			name = "restarted before the import"
		}
		t.Run(name, func(t *testing.T) {
			e, ep := account2NeedsRefresh(t)
			ep.live("rt-1", "u1")
			r := e.seedThenRotate() // account 2 refreshed (rt-2.r1) and handed to LiteLLM
			if got := e.flat().RefreshToken; got != "rt-2.r1" || e.accountRT(2) != "rt-2.r1" {
				t.Fatalf("after the switch LiteLLM holds %q and auth-2.json %q, want rt-2.r1 in both", got, e.accountRT(2))
			}
			if restart {
				r = e.rotator()
			}

			// auth-login 2: a device login of the same user, issued before the refresh.
			ep.live("rt-2-new", "u2")
			if err := Import(e.cfg, 2, codexAuthJSON(t, tokens(t, "u2", "rt-2-new", t0.Add(5*24*time.Hour)))); err != nil {
				t.Fatalf("import: %v", err)
			}
			for range 2 {
				e.clock.Advance(time.Minute)
				r.Tick(t.Context())
			}

			if got := e.accountRT(2); got != "rt-2-new" && !strings.HasPrefix(got, "rt-2-new.") {
				t.Errorf("auth-2.json holds %q, want the imported login rt-2-new", got)
			}
			if rescued := e.rescuedRefreshTokens(); !slices.Contains(rescued, "rt-2.r1") {
				t.Errorf("the handed-over pair (rt-2.r1) was stored nowhere; rescue files hold %v", rescued)
			}
			if got := e.flat().RefreshToken; got != e.accountRT(2) {
				t.Errorf("LiteLLM holds %q, want the import's tokens in auth-2.json (%q)", got, e.accountRT(2))
			}
			if strings.Contains(e.logs.String(), "LiteLLM had refreshed its tokens") {
				t.Errorf("the rotator's own hand-over was taken for a refresh by LiteLLM")
			}
			if reused := ep.reusedTokens(); len(reused) != 0 {
				t.Errorf("reused: %v", reused)
			}
		})
	}
}
