package rotator

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// LiteLLM tells the rotator about 429s through its stock "generic_api" logging callback:
// with `litellm_settings.callbacks: ["generic_api"]` and GENERIC_LOGGER_ENDPOINT pointing
// here, it POSTs its StandardLoggingPayload for every success and failure, batched every
// few seconds as a JSON array (or, depending on log_format, one object per request or
// newline-delimited objects). Everything is accepted; only failures with status 429 of
// the chatgpt provider matter. No patched LiteLLM code is needed.

// EventsPath is where the listener accepts LiteLLM's logging payloads.
const EventsPath = "/litellm-events"

// attributionGrace: a 429 without a start time cannot be charged to an account with
// certainty right after a switch (it may come from a request the previous account
// served); within this window after a switch such events are ignored.
const attributionGrace = 2 * time.Minute

// loggingPayload holds the few StandardLoggingPayload fields the rotator reads. Fields
// whose type varies between LiteLLM versions are kept raw and read leniently.
type loggingPayload struct {
	Status            string          `json:"status"`
	CustomLLMProvider string          `json:"custom_llm_provider"`
	Model             string          `json:"model"`
	StartTime         json.RawMessage `json:"startTime"`
	ErrorStr          string          `json:"error_str"`
	StatusCode        json.RawMessage `json:"status_code"`
	ErrorInformation  struct {
		ErrorCode    json.RawMessage `json:"error_code"`
		ErrorClass   string          `json:"error_class"`
		ErrorMessage string          `json:"error_message"`
		LLMProvider  string          `json:"llm_provider"`
	} `json:"error_information"`
}

// rateLimit is a 429 LiteLLM reported.
type rateLimit struct {
	start time.Time // when the failed request started; zero if unknown
	text  string    // error text, searched for usage-limit markers and reset times
}

// rateLimitOf returns the 429 a payload reports, if it reports one from the chatgpt
// provider.
func rateLimitOf(p loggingPayload) (rateLimit, bool) {
	if !chatgptFailure(p) {
		return rateLimit{}, false
	}
	is429 := rawNumber(p.ErrorInformation.ErrorCode) == 429 || rawNumber(p.StatusCode) == 429 ||
		strings.Contains(p.ErrorInformation.ErrorClass, "RateLimitError")
	if !is429 {
		return rateLimit{}, false
	}
	return rateLimit{start: startOf(p), text: errorText(p)}, true
}

// chatgptFailure reports whether a payload is a failed request of the chatgpt provider (or
// of an unknown one): another provider's failure says nothing about ChatGPT accounts.
func chatgptFailure(p loggingPayload) bool {
	if strings.EqualFold(p.Status, "success") {
		return false
	}
	provider := p.CustomLLMProvider
	if provider == "" {
		provider = p.ErrorInformation.LLMProvider
	}
	if provider == "" {
		if prefix, _, ok := strings.Cut(p.Model, "/"); ok {
			provider = prefix
		}
	}
	return provider == "" || strings.EqualFold(provider, "chatgpt")
}

// errorText is everything a payload says about its error, for markers and reset times.
func errorText(p loggingPayload) string {
	return strings.Join([]string{p.ErrorInformation.ErrorClass, p.ErrorInformation.ErrorMessage, p.ErrorStr}, " ")
}

// startOf is when the payload's request started (zero if unknown).
func startOf(p loggingPayload) time.Time {
	if s := rawNumber(p.StartTime); s > 0 && s < maxExpSeconds {
		sec, frac := math.Modf(s)
		return time.Unix(int64(sec), int64(frac*1e9))
	}
	return time.Time{}
}

// maxExpSeconds bounds believable unix times (year 9999).
const maxExpSeconds = 253402300799

// rawNumber reads a JSON number or a string holding one; anything else is 0.
func rawNumber(raw json.RawMessage) float64 {
	if len(raw) == 0 {
		return 0
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f
		}
	}
	return 0
}

// decodePayloads reads a JSON array of payloads, a single payload, or newline-delimited
// payloads, calling fn for each. Arrays are streamed element by element: a batch holds
// whole requests and responses, and only a few fields of each are kept.
func decodePayloads(body io.Reader, fn func(loggingPayload)) (int, error) {
	br := bufio.NewReader(body)
	first, err := peekNonSpace(br)
	if err != nil {
		return 0, err
	}
	dec := json.NewDecoder(br)
	n := 0
	decodeOne := func() error {
		var p loggingPayload
		err := dec.Decode(&p)
		var typeErr *json.UnmarshalTypeError
		if err != nil && !errors.As(err, &typeErr) {
			return err
		}
		// A field of an unexpected type is skipped; the rest of the payload still counts.
		n++
		fn(p)
		return nil
	}
	if first == '[' {
		if _, err := dec.Token(); err != nil {
			return n, err
		}
		for dec.More() {
			if err := decodeOne(); err != nil {
				return n, err
			}
		}
		_, err := dec.Token()
		return n, err
	}
	for {
		if err := decodeOne(); err != nil {
			if errors.Is(err, io.EOF) && n > 0 {
				return n, nil
			}
			return n, err
		}
	}
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			return b, br.UnreadByte()
		}
	}
}

// maxEventBody bounds one POST. Payloads are streamed, so this limits time, not memory.
const maxEventBody = 512 << 20

// Handler serves LiteLLM's logging callback at EventsPath, a liveness check at /healthz
// and the status as JSON at /status.
func (r *Rotator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+EventsPath, r.serveEvents)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(r.Status())
	})
	return mux
}

func (r *Rotator) serveEvents(w http.ResponseWriter, req *http.Request) {
	var limits []rateLimit
	var authFails []authFailure
	n, err := decodePayloads(io.LimitReader(req.Body, maxEventBody), func(p loggingPayload) {
		if rl, ok := rateLimitOf(p); ok {
			limits = append(limits, rl)
		} else if af, ok := authFailureOf(p); ok {
			authFails = append(authFails, af)
		}
	})
	r.countEvents(n)
	// Not req.Context(): LiteLLM giving up on this POST must never cancel a token exchange
	// the event leads to (a switch refreshes the next account).
	for _, af := range authFails {
		r.HandleAuthFailure(r.life, af.start, af.status, af.text)
	}
	for _, rl := range limits {
		r.HandleRateLimit(r.life, rl.start, rl.text)
	}
	if err != nil {
		r.cfg.Logger.Printf("LiteLLM event POST: read %d payloads, then: %v", n, err)
		http.Error(w, fmt.Sprintf("read %d payloads, then: %v", n, err), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"payloads\":%d,\"rate_limits\":%d,\"auth_failures\":%d}\n", n, len(limits), len(authFails))
}

// countEvents records that LiteLLM's callback delivered n payloads (written to the status
// file with the next save).
func (r *Rotator) countEvents(n int) {
	if n == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.EventsReceived += int64(n)
	r.status.LastEventAt = timePtr(r.cfg.Clock.Now())
}

// HandleRateLimit parks the account that served a request LiteLLM saw fail with 429 (for
// hours on a usage limit, minutes otherwise) and, if it is the active account, switches
// to the next usable one at once. start is when the request started (zero if unknown).
func (r *Rotator) HandleRateLimit(ctx context.Context, start time.Time, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Clock.Now()
	r.newRound()
	r.observe(now)
	r.syncFlat(now)
	acct := r.chargedAccount(start, now)
	if acct == 0 {
		r.cfg.Logger.Printf("LiteLLM reported a 429 that cannot be charged to an account (request start %v); ignored", start)
		if r.status.Active != 0 {
			return
		}
		// LiteLLM's file holds no account (missing, unparsable, fail-fast): settle below
		// does now what the next tick would.
	} else {
		until, usage := r.cfg.limitPark(text, now)
		what := "rate limited (HTTP 429)"
		if usage {
			what = "usage limit reached (HTTP 429)"
		}
		r.setError(acct, "LiteLLM reported "+what+": "+shorten(text, 300))
		r.park(acct, until, "LiteLLM reported "+what)
		if acct == r.status.Active {
			r.forceSwitch = fmt.Sprintf("account %d %s", acct, what)
		}
	}
	r.settle(ctx, now)
}

// settle ends a tick, and the handling of an event the same way: if the active account has
// to be replaced (it was just parked, or LiteLLM's file holds no account at all because it
// is missing or unparsable) the next usable account gets it, logins in doubt are checked,
// then the guard runs. An event
// that arrives while the active account is unknown is thereby never a reason to fail fast
// while a healthy account exists.
func (r *Rotator) settle(ctx context.Context, now time.Time) {
	if reason := r.due(now); reason != "" {
		r.rotate(ctx, reason)
	}
	r.checkLogins(ctx, now)
	r.guard(ctx, now)
	r.saveStatus()
}

// chargedAccount is the account in rotation that served a request LiteLLM reported as
// failed, or 0: the account active at the request's start, or, without a start time, the
// active account unless it became active too recently to be sure.
func (r *Rotator) chargedAccount(start, now time.Time) int {
	acct := 0
	switch {
	case !start.IsZero():
		acct = r.accountAt(start)
	case r.status.ActiveSince != nil && now.Sub(*r.status.ActiveSince) >= attributionGrace:
		acct = r.status.Active
	}
	if !r.cfg.inRotation(acct) {
		return 0
	}
	return acct
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
