package rotator

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// garbledReserved is the reserved account's file in every fault case: if anything read
// it, it would fail to parse and show up as an error; if anything wrote it, its bytes
// would change.
var garbledReserved = []byte("{ this is reserved account 3's file, deliberately not JSON: rt-3\n")

// TestFaultMatrix runs the rotator into each failure issue 6 lists. Every case starts
// from the same pool: accounts 1 and 2 in rotation (1 seeded into LiteLLM's flat file),
// reserved account 3, then breaks something and lets the rotation interval elapse. For
// each case the flat file must stay valid, every account's newest refresh token must be
// on disk, and the status file must say why.
func TestFaultMatrix(t *testing.T) {
	valid := t0.Add(5 * 24 * time.Hour) // access tokens that need no refresh
	expired := t0.Add(-time.Hour)       // one that does

	cases := []struct {
		name string
		// setup runs after seeding, before the interval elapses.
		setup func(e *env, r *Rotator)
		// flatRT is the refresh token LiteLLM must hold afterwards.
		flatRT string
		// accountRTs are the refresh tokens that must be in auth-N.json afterwards.
		accountRTs map[int]string
		// check inspects the status file.
		check func(t *testing.T, e *env)
		// after, if set, runs a second phase (a restart, a recovered disk) and its own checks.
		after func(t *testing.T, e *env, r *Rotator)
		// refreshes are the refresh tokens the token endpoint must have seen, in order.
		refreshes []string
	}{
		{
			name: "crash between temp write and rename",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(grant(e.t, "u2", "rt-2b", t0))
				r.cfg.writer.crashAfterTempWrite = func(tmp, target string) error {
					if strings.HasSuffix(target, "auth-2.json") {
						return errors.New("simulated crash")
					}
					return nil
				}
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"}, // old file intact...
			check: func(t *testing.T, e *env) {
				wantError(t, e, 2, "simulated crash")
				if temps := e.leftoverTemps(); len(temps) != 1 || !strings.HasPrefix(temps[0], ".auth-2.json.tmp-") {
					t.Errorf("temp files = %v, want the one the crash left behind", temps)
				}
			},
			after: func(t *testing.T, e *env, _ *Rotator) {
				// ...and a restarted rotator finishes the write: rt-2 is spent, rt-2b is
				// the newest token and must not be lost. Then it rotates to account 2
				// without refreshing again.
				r := e.rotator()
				r.Start(context.Background())
				if got := e.accountRT(2); got != "rt-2b" {
					t.Errorf("after restart auth-2.json holds %q, want the recovered rt-2b", got)
				}
				if got := e.flat().RefreshToken; got != "rt-2b" {
					t.Errorf("after restart LiteLLM holds %q, want rt-2b", got)
				}
				if temps := e.leftoverTemps(); len(temps) != 0 {
					t.Errorf("temp files left after recovery: %v", temps)
				}
			},
			refreshes: []string{"rt-2"},
		},
		{
			name: "rename fails while writing back a refreshed pair",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(grant(e.t, "u2", "rt-2b", t0))
				r.cfg.writer.rename = func(oldpath, newpath string) error {
					if strings.HasSuffix(newpath, "auth-2.json") {
						return errors.New("injected rename failure")
					}
					return os.Rename(oldpath, newpath)
				}
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantError(t, e, 2, "injected rename failure")
				if temps := e.leftoverTemps(); len(temps) != 0 {
					t.Errorf("temp files left after a failed rename: %v", temps)
				}
			},
			after: func(t *testing.T, e *env, r *Rotator) {
				// The disk recovers: the next tick writes the pair it kept, then uses it.
				r.cfg.writer.rename = nil
				e.clock.Advance(time.Minute)
				r.Tick(context.Background())
				if got := e.accountRT(2); got != "rt-2b" {
					t.Errorf("auth-2.json holds %q, want the kept rt-2b", got)
				}
				if got := e.flat().RefreshToken; got != "rt-2b" {
					t.Errorf("LiteLLM holds %q, want rt-2b", got)
				}
			},
			refreshes: []string{"rt-2"},
		},
		{
			name: "refresh answers 400 refresh_token_reused",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(answer(400, `{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used"}}`))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantNeedsLogin(t, e, 2, "refresh_token_reused")
				wantDecision(t, e, "staying on account 1")
			},
			refreshes: []string{"rt-2"},
		},
		{
			// A 401 without a dead-token code (a gateway, the endpoint's own trouble) is no
			// verdict on the refresh token: retried, no login asked for.
			name: "refresh answers 401 without an error code",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(answer(401, `{"error":{"message":"Could not validate your token"}}`))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantParked(t, e, 2, DefaultTransientPark, "no verdict on the refresh token")
				wantNoLoginAdvice(t, e, 2)
			},
			refreshes: []string{"rt-2"},
		},
		{
			// invalid_client: --client-id or --token-url is wrong. A configuration problem,
			// named as such; the refresh token is not in question.
			name: "refresh answers 401 invalid_client",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(answer(401, `{"error":"invalid_client","error_description":"Unknown client"}`))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantParked(t, e, 2, DefaultTransientPark, "--client-id")
				wantError(t, e, 2, "configuration problem")
				wantNoLoginAdvice(t, e, 2)
			},
			refreshes: []string{"rt-2"},
		},
		{
			name: "refresh answers 401 refresh_token_expired",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(answer(401, `{"error":{"code":"refresh_token_expired","message":"expired"}}`))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantNeedsLogin(t, e, 2, "refresh_token_expired")
				if a := e.account(2); a.DeadTokenCode != "refresh_token_expired" {
					t.Errorf("account 2 dead_token_code = %q, want the code that proved it dead", a.DeadTokenCode)
				}
			},
			refreshes: []string{"rt-2"},
		},
		{
			name: "refresh answers 429 usage limit",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(answer(429, `{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached"}}`))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantParked(t, e, 2, DefaultUsageLimitPark, "usage limit")
			},
			refreshes: []string{"rt-2"},
		},
		{
			name: "refresh answers 429 transient",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(answer(429, `{"error":{"message":"Too many requests, slow down"}}`))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantParked(t, e, 2, DefaultTransientPark, "rate limited")
			},
			refreshes: []string{"rt-2"},
		},
		{
			name: "refresh answers 500",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(answer(500, `upstream exploded`))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantParked(t, e, 2, DefaultTransientPark, "HTTP 500")
			},
			refreshes: []string{"rt-2"},
		},
		{
			// The answer does not come within AnswerTimeout (shortened here): the request
			// was sent, so the token may be spent, and the status says so.
			name: "refresh times out",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				r.ref.timing.answer = 50 * time.Millisecond
				e.server.setHandler(func(w http.ResponseWriter, rt string) {
					time.Sleep(500 * time.Millisecond)
					grant(e.t, "u2", "rt-2-late", t0)(w, rt)
				})
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantParked(t, e, 2, DefaultTransientPark, "no answer within 50ms")
				wantError(t, e, 2, "possibly spent")
			},
			refreshes: []string{"rt-2"},
		},
		{
			name: "garbled auth-2.json",
			setup: func(e *env, r *Rotator) {
				e.writeFile("auth-2.json", []byte(`{"tokens": {"access_token": "not-a-jwt", "refresh_to`))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1"},
			check: func(t *testing.T, e *env) {
				a := e.account(2)
				if a.State != StateInvalid || !strings.Contains(a.LastError, "auth-2.json") || !strings.Contains(a.Action, "auth-login 2") {
					t.Errorf("account 2 = %+v, want invalid with an error naming auth-2.json and the auth-login command", a)
				}
				wantDecision(t, e, "staying on account 1")
			},
		},
		{
			name: "missing auth-2.json",
			setup: func(e *env, r *Rotator) {
				os.Remove(e.path("auth-2.json"))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1"},
			check: func(t *testing.T, e *env) {
				a := e.account(2)
				if a.State != StateMissing || !strings.Contains(a.Action, "kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login 2") {
					t.Errorf("account 2 = %+v, want missing with the auth-login command", a)
				}
			},
		},
		{
			name: "expired access token with a good refresh token",
			setup: func(e *env, r *Rotator) {
				e.writeAccount(2, "u2", "rt-2", expired)
				e.server.setHandler(grant(e.t, "u2", "rt-2b", t0))
			},
			flatRT:     "rt-2b",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2b"},
			check: func(t *testing.T, e *env) {
				a := e.account(2)
				if !a.Active || a.LastRefresh == nil || a.AccessTokenExpiresAt == nil || !a.AccessTokenExpiresAt.After(t0.Add(9*24*time.Hour)) {
					t.Errorf("account 2 = %+v, want active, refreshed, with the new expiry", a)
				}
				wantDecision(t, e, "switched from account 1 to account 2: rotation interval")
			},
			refreshes: []string{"rt-2"},
		},
		{
			name: "all accounts parked",
			setup: func(e *env, r *Rotator) {
				r.park(1, t0.Add(3*time.Hour), "usage limit reached (test)")
				r.park(2, t0.Add(4*time.Hour), "usage limit reached (test)")
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				wantDecision(t, e, "no other account is usable")
				wantDecision(t, e, "staying on account 1")
				for _, n := range []int{1, 2} {
					if a := e.account(n); a.ParkedUntil == nil {
						t.Errorf("account %d = %+v, want parked", n, a)
					}
				}
			},
		},
		{
			name: "reserved account present while nothing else is usable",
			setup: func(e *env, r *Rotator) {
				// Account 2 is gone and account 1 is parked: a rotator that looked at
				// reserved accounts would reach for 3 now.
				os.Remove(e.path("auth-2.json"))
				r.park(1, t0.Add(3*time.Hour), "usage limit reached (test)")
				// An import of account 3 that crashed before its rename: recovery must
				// leave it alone too.
				e.writeFile(".auth-3.json.tmp-42", codexAuthJSON(e.t, tokens(e.t, "u3", "rt-3b", valid)))
			},
			flatRT:     "rt-1",
			accountRTs: map[int]string{1: "rt-1"},
			check: func(t *testing.T, e *env) {
				if data, err := os.ReadFile(e.path(".auth-3.json.tmp-42")); err != nil || !bytes.Contains(data, []byte("rt-3b")) {
					t.Errorf("reserved account's leftover temp file was touched: %v", err)
				}
				a := e.account(3)
				if a.Role != RoleReserved || a.State != StateReserved || a.LastError != "" || a.AccessTokenExpiresAt != nil || a.Active {
					t.Errorf("account 3 = %+v, want reserved and nothing known about it", a)
				}
				wantDecision(t, e, "staying on account 1")
			},
		},
		{
			name: "LiteLLM refreshed the active account behind the rotator's back",
			setup: func(e *env, r *Rotator) {
				// LiteLLM writes its file in place, compact, with its own field order.
				exp := t0.Add(10 * 24 * time.Hour)
				toks := tokens(e.t, "u1", "rt-1b", exp)
				e.writeFile("auth.json", []byte(`{"access_token": "`+toks.AccessToken+`", "refresh_token": "rt-1b", "id_token": "`+
					toks.IDToken+`", "expires_at": `+strconv.FormatInt(exp.Unix(), 10)+`, "account_id": "acct-u1"}`))
			},
			flatRT:     "rt-2",
			accountRTs: map[int]string{1: "rt-1b", 2: "rt-2"},
			check: func(t *testing.T, e *env) {
				if a := e.account(1); a.LastCopyBack == nil {
					t.Errorf("account 1 = %+v, want last_copy_back set", a)
				}
				wantDecision(t, e, "switched from account 1 to account 2")
			},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.writeAccount(1, "u1", "rt-1", valid)
			e.writeAccount(2, "u2", "rt-2", valid)
			e.writeFile("auth-3.json", garbledReserved)
			reservedInfo, err := os.Stat(e.path("auth-3.json"))
			if err != nil {
				t.Fatal(err)
			}
			r := e.seed()
			if got := e.flat().RefreshToken; got != "rt-1" {
				t.Fatalf("seeded flat file holds %q, want rt-1", got)
			}

			tc.setup(e, r)
			e.clock.Advance(31 * time.Minute)
			r.Tick(context.Background())

			if got := e.flat().RefreshToken; got != tc.flatRT {
				t.Errorf("LiteLLM holds %q, want %q", got, tc.flatRT)
			}
			for n, want := range tc.accountRTs {
				if got := e.accountRT(n); got != want {
					t.Errorf("auth-%d.json holds %q, want %q", n, got, want)
				}
			}
			if tc.check != nil {
				tc.check(t, e)
			}
			if tc.after != nil {
				tc.after(t, e, r)
			}
			if got := e.server.refreshes(); strings.Join(got, ",") != strings.Join(tc.refreshes, ",") {
				t.Errorf("token endpoint saw refresh tokens %q, want %q", got, tc.refreshes)
			}
			wantReservedUntouched(t, e, reservedInfo)
		})
	}
}

func wantReservedUntouched(t *testing.T, e *env, before os.FileInfo) {
	t.Helper()
	data, err := os.ReadFile(e.path("auth-3.json"))
	if err != nil || !bytes.Equal(data, garbledReserved) {
		t.Errorf("reserved auth-3.json changed: %q, %v", data, err)
	}
	after, err := os.Stat(e.path("auth-3.json"))
	if err != nil || !after.ModTime().Equal(before.ModTime()) || after.Mode() != before.Mode() {
		t.Errorf("reserved auth-3.json was rewritten (mtime or mode changed)")
	}
	if e.wasRead("auth-3.json") {
		t.Errorf("the rotator read reserved auth-3.json")
	}
	a := e.account(3)
	if a.State != StateReserved || a.LastError != "" {
		t.Errorf("reserved account 3 in status = %+v: it must never be read", a)
	}
	if strings.Contains(e.logs.String(), "account 3") {
		t.Errorf("the log mentions account 3, which must never be touched:\n%s", e.logs.String())
	}
}

func wantError(t *testing.T, e *env, n int, substr string) {
	t.Helper()
	if a := e.account(n); !strings.Contains(a.LastError, substr) {
		t.Errorf("account %d last_error = %q, want it to mention %q", n, a.LastError, substr)
	}
}

func wantNeedsLogin(t *testing.T, e *env, n int, substr string) {
	t.Helper()
	a := e.account(n)
	if a.State != StateNeedsDeviceAuth || !a.ParkedPermanently || !a.NeedsDeviceAuth {
		t.Errorf("account %d = %+v, want parked permanently, needing a device-auth login", n, a)
	}
	if !strings.Contains(a.LastError, substr) || !strings.Contains(a.ParkReason, substr) {
		t.Errorf("account %d: last_error %q / park_reason %q, want them to mention %q", n, a.LastError, a.ParkReason, substr)
	}
	want := "kubectl exec -n agents -it deploy/litellm-pool -c codex-cli -- auth-login " + strconv.Itoa(n)
	if !strings.Contains(a.Action, want) {
		t.Errorf("account %d action = %q, want %q", n, a.Action, want)
	}
}

// wantNoLoginAdvice fails the test if account n is parked for a login or its status or the
// pool's not-ready reason sends an operator to log it in.
func wantNoLoginAdvice(t *testing.T, e *env, n int) {
	t.Helper()
	a := e.account(n)
	login := "auth-login " + strconv.Itoa(n)
	if a.ParkedPermanently || a.NeedsDeviceAuth || a.State == StateNeedsDeviceAuth || strings.Contains(a.Action, login) {
		t.Errorf("account %d = %+v; nothing says its login is dead, yet it is parked for one", n, a)
	}
	if st := e.status(); strings.Contains(st.NotReadyReason, login) {
		t.Errorf("not_ready_reason %q sends the operator to log account %d in", st.NotReadyReason, n)
	}
}

func wantParked(t *testing.T, e *env, n int, d time.Duration, substr string) {
	t.Helper()
	a := e.account(n)
	now := e.clock.Now()
	if a.State != StateParked || a.ParkedUntil == nil || a.ParkedPermanently {
		t.Fatalf("account %d = %+v, want parked for a while", n, a)
	}
	if got := a.ParkedUntil.Sub(now); got < d-time.Second || got > d+time.Second {
		t.Errorf("account %d parked for %s, want %s", n, got, d)
	}
	if !strings.Contains(a.LastError+" "+a.ParkReason, substr) {
		t.Errorf("account %d: last_error %q / park_reason %q, want them to mention %q", n, a.LastError, a.ParkReason, substr)
	}
}

func wantDecision(t *testing.T, e *env, substr string) {
	t.Helper()
	if st := e.status(); !strings.Contains(st.LastDecision, substr) {
		t.Errorf("last decision = %q, want it to mention %q", st.LastDecision, substr)
	}
}
