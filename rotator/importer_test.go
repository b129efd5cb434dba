package rotator

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

func TestImport(t *testing.T) {
	login := func(user, rt string) []byte {
		return codexAuthJSON(t, tokens(t, user, rt, t0.Add(48*time.Hour)))
	}
	cases := []struct {
		name    string
		n       int
		data    []byte
		wantErr string // "" for success
	}{
		{name: "account in rotation", n: 1, data: login("u1", "rt-1")},
		{name: "reserved account (stocking a spare)", n: 3, data: login("u3", "rt-3")},
		{name: "account not configured", n: 7, data: login("u7", "rt-7"),
			wantErr: "account 7 is not configured (accounts in rotation: 1,2; reserved: 3)"},
		{name: "not JSON", n: 1, data: []byte("Successfully logged in"), wantErr: "not a usable codex login"},
		{name: "API key login, no ChatGPT tokens", n: 1, data: []byte(`{"OPENAI_API_KEY":"sk-test"}`), wantErr: "no tokens"},
		{name: "access token not a JWT", n: 1, data: []byte(`{"tokens":{"access_token":"abc","refresh_token":"rt"}}`), wantErr: "access_token"},
		{name: "no refresh token", n: 1, data: []byte(`{"tokens":{"access_token":"` + accessToken(t, "u1", t0) + `"}}`), wantErr: "refresh_token missing"},
		{name: "empty", n: 1, data: []byte{}, wantErr: "not a usable codex login"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			err := Import(e.cfg, tc.n, tc.data)
			path := e.path(codexauth.AccountFileName(tc.n))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Import error = %v, want it to contain %q", err, tc.wantErr)
				}
				if _, statErr := os.Stat(path); !errors.Is(statErr, os.ErrNotExist) {
					t.Errorf("a refused import wrote %s", path)
				}
				return
			}
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			data, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(bytes.TrimSpace(data), bytes.TrimSpace(tc.data)) {
				t.Errorf("%s = %q, %v; want the imported login", path, data, err)
			}
			if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", info.Mode().Perm())
			}
			if temps := e.leftoverTemps(); len(temps) != 0 {
				t.Errorf("temp files left: %v", temps)
			}
		})
	}
}

func TestImportRefusesTheSameUserInTwoSlots(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(48*time.Hour))
	err := Import(e.cfg, 2, codexAuthJSON(t, tokens(t, "u1", "rt-1-other-session", t0.Add(48*time.Hour))))
	if err == nil || !strings.Contains(err.Error(), "same ChatGPT user as account 1") {
		t.Fatalf("Import error = %v, want a refusal naming account 1", err)
	}
	// Re-importing the same slot (a new login after a dead token) is what operators do.
	if err := Import(e.cfg, 1, codexAuthJSON(t, tokens(t, "u1", "rt-1-new", t0.Add(48*time.Hour)))); err != nil {
		t.Fatalf("re-import of account 1: %v", err)
	}
	if e.accountRT(1) != "rt-1-new" {
		t.Errorf("auth-1.json holds %q", e.accountRT(1))
	}
}

func TestImportCrashKeepsTheOldLogin(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(48*time.Hour))
	e.cfg.writer.rename = func(string, string) error { return errors.New("injected rename failure") }
	err := Import(e.cfg, 1, codexAuthJSON(t, tokens(t, "u1", "rt-1-new", t0.Add(48*time.Hour))))
	if err == nil {
		t.Fatal("Import succeeded despite the failing rename")
	}
	if e.accountRT(1) != "rt-1" {
		t.Errorf("auth-1.json holds %q, want the old login intact", e.accountRT(1))
	}
}

func TestImportedLoginLiftsAPermanentPark(t *testing.T) {
	e, _ := envWithDeadAccount2(t)
	if a := e.account(2); a.State != StateNeedsDeviceAuth {
		t.Fatalf("account 2 = %+v, want needs-device-auth", a)
	}
	if err := Import(e.cfg, 2, codexAuthJSON(t, tokens(t, "u2", "rt-2-new", t0.Add(10*24*time.Hour)))); err != nil {
		t.Fatal(err)
	}
	// A restarted rotator must make the same call from the status file alone.
	r := e.rotator()
	e.clock.Advance(time.Minute)
	r.Tick(t.Context())
	if a := e.account(2); a.NeedsDeviceAuth || !a.Active {
		t.Errorf("account 2 = %+v, want back in rotation and active", a)
	}
	if e.flat().RefreshToken != "rt-2-new" {
		t.Errorf("LiteLLM holds %q, want the new login", e.flat().RefreshToken)
	}
}
