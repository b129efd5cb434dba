package rotator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"cloud-codex/codexauth"
)

// failurePayload is a StandardLoggingPayload as LiteLLM's generic_api logger posts it for
// a failed chatgpt request (with the bulky fields a real one carries).
func failurePayload(start time.Time, provider, code, class, errStr string) map[string]any {
	return map[string]any{
		"id":                  "chatcmpl-1",
		"call_type":           "aresponses",
		"status":              "failure",
		"custom_llm_provider": provider,
		"model":               "gpt-5.4",
		"startTime":           float64(start.UnixNano()) / 1e9,
		"endTime":             float64(start.Add(time.Second).UnixNano()) / 1e9,
		"messages":            []any{map[string]any{"role": "user", "content": strings.Repeat("long prompt ", 1000)}},
		"response":            map[string]any{},
		"metadata":            map[string]any{"user_api_key_alias": "agent-1"},
		"error_str":           errStr,
		"error_information": map[string]any{
			"error_code":    code,
			"error_class":   class,
			"llm_provider":  provider,
			"error_message": errStr,
			"traceback":     "Traceback (most recent call last): ...",
		},
	}
}

func successPayload(start time.Time) map[string]any {
	return map[string]any{"status": "success", "custom_llm_provider": "chatgpt", "startTime": float64(start.Unix()),
		"response": map[string]any{"output": "hi"}, "error_information": nil, "error_str": nil}
}

const usageLimitText = `litellm.RateLimitError: ChatgptException - {"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_in_seconds":7200}}`

// eventsEnv is a pool of accounts 1 and 2 (1 active) with a rotator listening on loopback.
func eventsEnv(t *testing.T) (*env, *Rotator, *httptest.Server) {
	e := newEnv(t)
	e.writeAccount(1, "u1", "rt-1", t0.Add(5*24*time.Hour))
	e.writeAccount(2, "u2", "rt-2", t0.Add(5*24*time.Hour))
	e.seed()
	r := e.rotator()
	r.Start(t.Context())
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	return e, r, srv
}

func post(t *testing.T, srv *httptest.Server, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(srv.URL+EventsPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Status
}

func TestUsageLimit429ParksTheActiveAccountAndSwitches(t *testing.T) {
	e, _, srv := eventsEnv(t)
	e.clock.Advance(5 * time.Minute) // well within the rotation interval
	now := e.clock.Now()
	batch := []any{
		successPayload(now.Add(-time.Minute)),
		failurePayload(now.Add(-2*time.Second), "chatgpt", "429", "RateLimitError", usageLimitText),
	}
	if code, status := post(t, srv, string(mustJSON(t, batch))); code != http.StatusOK {
		t.Fatalf("POST = %s", status)
	}
	if got := e.flat().RefreshToken; got != "rt-2" {
		t.Fatalf("LiteLLM holds %q after a usage-limit 429 on account 1, want account 2's rt-2", got)
	}
	a := e.account(1)
	if a.ParkedUntil == nil || !a.ParkedUntil.Equal(now.Add(2*time.Hour)) {
		t.Errorf("account 1 parked until %v, want %v (resets_in_seconds from the error)", a.ParkedUntil, now.Add(2*time.Hour))
	}
	if !strings.Contains(a.LastError, "usage limit") || !strings.Contains(a.ParkReason, "usage limit") {
		t.Errorf("account 1 = %+v, want the usage limit as the reason", a)
	}
	wantDecision(t, e, "switched from account 1 to account 2: account 1 usage limit reached (HTTP 429)")
	if st := e.status(); st.EventsReceived != 2 || st.LastEventAt == nil {
		t.Errorf("status counts %d events (last %v), want 2", st.EventsReceived, st.LastEventAt)
	}

	// A 429 from a request account 1 served before the switch arrives late: it must not
	// be charged to account 2.
	late := failurePayload(now.Add(-time.Second), "chatgpt", "429", "RateLimitError", "Rate limit exceeded")
	post(t, srv, string(mustJSON(t, late)))
	if a := e.account(2); a.ParkedUntil != nil || !a.Active {
		t.Errorf("account 2 = %+v, want active and not parked by account 1's late 429", a)
	}

	// A transient 429 on account 2 (single-object format) parks it for minutes; account 1
	// is parked for hours, so LiteLLM stays on account 2.
	e.clock.Advance(time.Minute)
	transient := failurePayload(e.clock.Now().Add(-time.Second), "chatgpt", "429", "RateLimitError", "Rate limit reached, please slow down")
	post(t, srv, string(mustJSON(t, transient)))
	a2 := e.account(2)
	if a2.ParkedUntil == nil || !a2.ParkedUntil.Equal(e.clock.Now().Add(DefaultTransientPark)) {
		t.Errorf("account 2 parked until %v, want %s from now", a2.ParkedUntil, DefaultTransientPark)
	}
	if got := e.flat().RefreshToken; got != "rt-2" {
		t.Errorf("LiteLLM holds %q, want to stay on account 2 (account 1 is parked for hours)", got)
	}
	wantDecision(t, e, "no other account is usable")
}

func TestEventsThatAreNotChatGPT429sOrAuthFailuresChangeNothing(t *testing.T) {
	cases := map[string]string{
		"success":                  string(mustJSON(t, successPayload(t0))),
		"another provider":         string(mustJSON(t, failurePayload(t0.Add(time.Second), "anthropic", "429", "RateLimitError", "overloaded"))),
		"500 from chatgpt":         string(mustJSON(t, failurePayload(t0.Add(time.Second), "chatgpt", "500", "InternalServerError", "boom"))),
		"unknown fields":           `{"status":"failure","something_new":{"nested":[1,2,3]},"error_information":{"error_code":500}}`,
		"401 of another provider":  string(mustJSON(t, failurePayload(t0.Add(time.Second), "anthropic", "401", "AuthenticationError", "invalid x-api-key"))),
		"403 from a CDN bot check": string(mustJSON(t, failurePayload(t0.Add(time.Second), "chatgpt", "403", "PermissionDeniedError", "<html><title>Just a moment...</title></html>"))),
		"fields of odd type":       `[{"status":7,"error_information":"not an object","startTime":"yesterday"}]`,
		"empty batch":              `[]`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			e, _, srv := eventsEnv(t)
			e.clock.Advance(5 * time.Minute)
			if code, status := post(t, srv, body); code != http.StatusOK {
				t.Fatalf("POST = %s, want 200 for a tolerable payload", status)
			}
			if got := e.flat().RefreshToken; got != "rt-1" {
				t.Errorf("LiteLLM holds %q, want account 1 unchanged", got)
			}
			if a := e.account(1); a.ParkedUntil != nil {
				t.Errorf("account 1 parked: %+v", a)
			}
		})
	}
}

func TestEventsNDJSONAndGarbage(t *testing.T) {
	e, _, srv := eventsEnv(t)
	e.clock.Advance(5 * time.Minute)
	ok := string(mustJSON(t, successPayload(t0)))
	fail := string(mustJSON(t, failurePayload(e.clock.Now(), "chatgpt", "429", "RateLimitError", usageLimitText)))
	if code, status := post(t, srv, ok+"\n"+fail+"\n"); code != http.StatusOK {
		t.Fatalf("ndjson POST = %s", status)
	}
	if got := e.flat().RefreshToken; got != "rt-2" {
		t.Errorf("LiteLLM holds %q, want account 2 after the ndjson 429", got)
	}
	if code, _ := post(t, srv, `{"status": "failure", `); code != http.StatusBadRequest {
		t.Errorf("truncated JSON answered %d, want 400", code)
	}
	e.flat() // still valid
}

func TestA429WithoutStartTimeRightAfterASwitchIsIgnored(t *testing.T) {
	e, r, _ := eventsEnv(t)
	e.clock.Advance(time.Minute) // the seed's switch was a minute ago
	r.HandleRateLimit(t.Context(), time.Time{}, usageLimitText)
	if a := e.account(1); a.ParkedUntil != nil {
		t.Errorf("account 1 parked by an event that may belong to the previous account: %+v", a)
	}
	e.clock.Advance(5 * time.Minute)
	r.HandleRateLimit(t.Context(), time.Time{}, usageLimitText)
	if a := e.account(1); a.ParkedUntil == nil {
		t.Errorf("account 1 not parked by a 429 well after the switch")
	}
}

func TestRateLimitOf(t *testing.T) {
	var p loggingPayload
	if err := json.Unmarshal([]byte(`{"status":"failure","model":"chatgpt/gpt-5.4","status_code":429,"error_str":"x"}`), &p); err != nil {
		t.Fatal(err)
	}
	if _, ok := rateLimitOf(p); !ok {
		t.Errorf("a 429 of a chatgpt/ model without provider field was not recognised")
	}
}

// FuzzDecodePayloads: whatever LiteLLM (or anything else on loopback) posts, the event
// decoder neither panics nor reports a 429 that is not a chatgpt 429.
func FuzzDecodePayloads(f *testing.F) {
	f.Add([]byte(`[{"status":"failure","custom_llm_provider":"chatgpt","startTime":1796000000.5,"error_information":{"error_code":"429"},"error_str":"usage_limit_reached resets_in_seconds 60"}]`))
	f.Add([]byte(`{"status":"success"}` + "\n" + `{"status":"failure","status_code":429}`))
	f.Add([]byte(`[{"status":7,"error_information":"x","startTime":"1e400"}]`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodePayloads(strings.NewReader(string(data)), func(p loggingPayload) {
			rl, ok := rateLimitOf(p)
			if !ok {
				return
			}
			if p.CustomLLMProvider != "" && !strings.EqualFold(p.CustomLLMProvider, "chatgpt") {
				t.Fatalf("a %q 429 was taken for a chatgpt one", p.CustomLLMProvider)
			}
			cfg := Config{}.withDefaults()
			until, _ := cfg.limitPark(rl.text, t0)
			if d := until.Sub(t0); d < minLimitPark || d > maxLimitPark {
				t.Fatalf("park of %s out of bounds for %q", d, rl.text)
			}
		})
	})
}

// Issue D3: an event that arrives while LiteLLM's token file is missing (so the active
// account is unknown) is handled as a tick would be: the file is rewritten from the next
// usable account, never replaced by the fail-fast file while a healthy account exists.
func TestEventWhileTheFlatFileIsMissingPicksAUsableAccount(t *testing.T) {
	for name, payload := range map[string]func(time.Time) map[string]any{
		"429": func(at time.Time) map[string]any {
			return failurePayload(at, "chatgpt", "429", "RateLimitError", "litellm.RateLimitError: slow down")
		},
		"401": func(at time.Time) map[string]any {
			return failurePayload(at, "chatgpt", "401", "AuthenticationError", "litellm.AuthenticationError: token invalidated")
		},
	} {
		t.Run(name, func(t *testing.T) {
			e, _, srv := eventsEnv(t)
			e.server.setHandler(grant(t, "u1", "rt-1b", e.clock.Now())) // the 401's login check
			e.clock.Advance(5 * time.Minute)
			if err := os.Remove(e.path(codexauth.AuthFileName)); err != nil {
				t.Fatal(err)
			}
			now := e.clock.Now()
			if code, status := post(t, srv, string(mustJSON(t, []any{payload(now.Add(-time.Second))}))); code != http.StatusOK {
				t.Fatalf("POST = %s", status)
			}
			data, err := os.ReadFile(e.path(codexauth.AuthFileName))
			if err != nil || isFailFast(data) {
				t.Fatalf("flat file = %s, %v; want account 2's login, not the fail-fast file", data, err)
			}
			if got := e.flat().RefreshToken; got != "rt-2" {
				t.Errorf("LiteLLM holds %q, want account 2's rt-2", got)
			}
			if st := e.status(); !st.Ready || st.Active != 2 {
				t.Errorf("status = %+v, want ready on account 2", st)
			}
			e.liteLLMSafe(now.Add(checkEvery))
		})
	}
}
