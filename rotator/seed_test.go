package rotator

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

func TestSeedPrefersAnUnexpiredAccount(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(-time.Hour)) // would need a refresh
	e.writeAccount(2, "u2", "rt-2", t0.Add(48*time.Hour))
	r := e.rotator()
	n, err := r.Seed(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Seed = %d, %v; want account 2", n, err)
	}
	f := e.flat()
	if f.RefreshToken != "rt-2" || f.ExpiresAt != t0.Add(48*time.Hour).Unix() {
		t.Errorf("flat = %+v, want account 2 with expires_at from its JWT", f)
	}
	if got := e.server.refreshes(); len(got) != 0 {
		t.Errorf("seed refreshed %v although account 2 needed no refresh", got)
	}
	if st := e.status(); st.Active != 2 || !strings.Contains(st.LastDecision, "LiteLLM gets account 2") {
		t.Errorf("status = %+v", st)
	}
}

func TestSeedRefreshesAndWritesBackBeforeUse(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(-time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	e.server.setHandler(grant(t, "u1", "rt-1b", t0))
	var order []string
	e.cfg.writer.crashAfterTempWrite = func(_, target string) error {
		if name := target[len(e.dir)+1:]; name != probeFileName {
			order = append(order, name)
		}
		return nil
	}
	n, err := e.rotator().Seed(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Seed = %d, %v; want account 1", n, err)
	}
	if e.accountRT(1) != "rt-1b" || e.flat().RefreshToken != "rt-1b" {
		t.Errorf("auth-1.json %q, flat %q; want the refreshed rt-1b in both", e.accountRT(1), e.flat().RefreshToken)
	}
	if len(order) < 2 || order[0] != "auth-1.json" || order[1] != "auth.json" {
		t.Errorf("writes in order %v, want auth-1.json before auth.json", order)
	}
}

func TestSeedWritesNothingWithoutAUsableAccount(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(2, "u2", "rt-2", t0.Add(-time.Hour))
	e.server.setHandler(answer(401, `{"error":{"code":"refresh_token_expired"}}`))
	_, err := e.rotator().Seed(context.Background())
	var none *NoUsableAccountError
	if !errors.As(err, &none) {
		t.Fatalf("Seed error = %v, want NoUsableAccountError", err)
	}
	if _, err := os.Stat(e.path(codexauth.AuthFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a flat file was written without a usable account: %v", err)
	}
	want := "kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 1"
	if none.Command != want || none.Login != 1 {
		t.Errorf("command = %q (account %d), want %q", none.Command, none.Login, want)
	}
	if !strings.Contains(none.Error(), "refresh_token_expired") || !strings.Contains(none.Error(), "auth-1.json does not exist") {
		t.Errorf("error %q should give each account's reason", none.Error())
	}
	if a := e.account(2); a.State != StateNeedsDeviceAuth {
		t.Errorf("account 2 = %+v, want needs-device-auth", a)
	}
	if st := e.status(); st.Active != 0 || !strings.Contains(st.LastDecision, want) {
		t.Errorf("status = %+v, want no active account and the command", st)
	}
}

func TestSeedWaitsUntilAnAccountIsImported(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := SeedWait(ctx, e.cfg, 5*time.Millisecond, true)
		done <- result{n, err}
	}()

	// The pod stays in Init with one clear line per poll naming the command.
	line := "run: kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 1"
	for strings.Count(e.logs.String(), line) < 2 {
		select {
		case r := <-done:
			t.Fatalf("SeedWait returned %d, %v before an account existed", r.n, r.err)
		case <-time.After(time.Millisecond):
		}
	}
	if _, err := os.Stat(e.path(codexauth.AuthFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a flat file appeared while waiting: %v", err)
	}

	// The operator imports a login (reserved account 3 first: it must not end the wait).
	if err := Import(e.cfg, 3, codexAuthJSON(t, tokens(t, "u3", "rt-3", t0.Add(48*time.Hour)))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if err := Import(e.cfg, 1, codexAuthJSON(t, tokens(t, "u1", "rt-1", t0.Add(48*time.Hour)))); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.n != 1 {
		t.Fatalf("SeedWait = %d, %v; want account 1", r.n, r.err)
	}
	if e.flat().RefreshToken != "rt-1" {
		t.Errorf("flat file does not hold account 1")
	}
}

func TestSeedNoWaitReturnsTheError(t *testing.T) {
	e := newEnv(t)
	_, err := SeedWait(context.Background(), e.cfg, time.Hour, false)
	var none *NoUsableAccountError
	if !errors.As(err, &none) {
		t.Fatalf("SeedWait(no wait) = %v, want NoUsableAccountError", err)
	}
}

func TestSeedKeepsTheFlatFilesAccountAndCopiesItsTokensBack(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(48*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(24*time.Hour))
	// Before the pod restarted, LiteLLM held account 2 and had refreshed it.
	newer := tokens(t, "u2", "rt-2b", t0.Add(9*24*time.Hour))
	f, _ := codexauth.NewCodexAuth(newer, t0).Flat()
	e.writeFile(codexauth.AuthFileName, mustJSON(t, f))
	n, err := e.rotator().Seed(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Seed = %d, %v; want it to keep account 2", n, err)
	}
	if e.accountRT(2) != "rt-2b" || e.flat().RefreshToken != "rt-2b" {
		t.Errorf("auth-2.json %q, flat %q; want rt-2b in both", e.accountRT(2), e.flat().RefreshToken)
	}
}

func TestSeedRescuesTokensOfAnAccountNoLongerInRotation(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(48*time.Hour))
	gone := tokens(t, "u9", "rt-9", t0.Add(48*time.Hour))
	f, _ := codexauth.NewCodexAuth(gone, t0).Flat()
	e.writeFile(codexauth.AuthFileName, mustJSON(t, f))
	if n, err := e.rotator().Seed(context.Background()); err != nil || n != 1 {
		t.Fatalf("Seed = %d, %v", n, err)
	}
	matches, _ := filepathGlob(e.dir, "rescued-auth-*.json")
	if len(matches) != 1 {
		t.Fatalf("rescue files = %v, want one", matches)
	}
	data, _ := os.ReadFile(matches[0])
	a, err := codexauth.ParseCodexAuth(data)
	if err != nil || a.Tokens.RefreshToken != "rt-9" {
		t.Errorf("rescue file holds %v, %v; want rt-9 as an importable codex auth file", a.Tokens, err)
	}
	if info, _ := os.Stat(matches[0]); info.Mode().Perm() != 0o600 {
		t.Errorf("rescue file mode %v, want 0600", info.Mode().Perm())
	}
}

func TestSeedUsesAParkedAccountOnlyAsALastResort(t *testing.T) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(48*time.Hour))
	r := e.rotator()
	r.park(1, t0.Add(time.Hour), "usage limit reached (test)")
	// A usage-limited account is better than no token file: LiteLLM answers 429s instead
	// of starting a device login.
	if n, err := r.Seed(context.Background()); err != nil || n != 1 {
		t.Fatalf("Seed = %d, %v; want the parked account 1", n, err)
	}
}
