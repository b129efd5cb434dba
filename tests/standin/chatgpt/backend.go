package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

const defaultReply = "Hello from the ChatGPT stand-in."

// record is what the stand-in saw of one request.
type record struct {
	Seq           int                 `json:"seq"`
	Time          time.Time           `json:"time"`
	Method        string              `json:"method"`
	Path          string              `json:"path"`
	Authorization string              `json:"authorization"`
	AccessToken   string              `json:"access_token"` // the bearer token, "" if none
	AccountID     string              `json:"chatgpt_account_id"`
	Originator    string              `json:"originator"`
	SessionID     string              `json:"session_id"`
	UserAgent     string              `json:"user_agent"`
	Headers       map[string][]string `json:"headers"`
	Model         string              `json:"model"`
	Stream        any                 `json:"stream"`
	Store         any                 `json:"store"`
	Instructions  string              `json:"instructions"`
	Include       any                 `json:"include"`
	Body          json.RawMessage     `json:"body"`
	Status        int                 `json:"status"`
	Answer        string              `json:"answer"` // the reply text, or the error sent
}

// fault makes matching requests fail instead of answering.
type fault struct {
	// Status is the HTTP status to answer (e.g. 429).
	Status int `json:"status"`
	// Times is how many requests fail; 0 means 1.
	Times int `json:"times"`
	// AccessToken limits the fault to requests with this bearer token ("" = any).
	AccessToken string `json:"access_token"`
	// Body is the JSON answer; empty gives the ChatGPT usage-limit error for a 429 and a
	// {"detail": …} message otherwise.
	Body json.RawMessage `json:"body"`
}

type backend struct {
	reply string
	oauth *oauthIssuer

	mu      sync.Mutex
	records []record
	faults  []*fault
	file    *os.File // JSON-lines copy of the records, or nil
}

func newBackend(recordsPath, reply string) (*backend, error) {
	b := &backend{reply: reply, oauth: newOAuthIssuer(10 * 24 * time.Hour)}
	if recordsPath != "" {
		f, err := os.OpenFile(recordsPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open the records file: %w", err)
		}
		b.file = f
	}
	return b, nil
}

func (b *backend) close() {
	if b.file != nil {
		b.file.Close()
	}
}

func (b *backend) routes() http.Handler {
	mux := http.NewServeMux()
	// LiteLLM's ChatGPT provider posts to {CHATGPT_API_BASE}/responses
	// (litellm/llms/chatgpt/responses/transformation.py, get_complete_url).
	mux.HandleFunc("POST /responses", b.handleResponses)
	mux.HandleFunc("GET /_records", func(w http.ResponseWriter, _ *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		writeJSON(w, http.StatusOK, append([]record{}, b.records...))
	})
	mux.HandleFunc("DELETE /_records", func(w http.ResponseWriter, _ *http.Request) {
		b.mu.Lock()
		b.records = nil
		b.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_faults", b.handleFaults)
	// The token endpoint, so one process stands in for OpenAI's side in the running-system test.
	b.oauth.routes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok: ChatGPT codex backend stand-in (tests/standin/chatgpt), not ChatGPT\n")
	})
	return mux
}

func (b *backend) handleFaults(w http.ResponseWriter, r *http.Request) {
	var f fault
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&f); err != nil || f.Status < 400 || f.Status > 599 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"detail": fmt.Sprintf("want {\"status\": 4xx|5xx, \"times\": n, \"access_token\": \"…\", \"body\": {…}} (%v)", err)})
		return
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	b.mu.Lock()
	b.faults = append(b.faults, &f)
	b.mu.Unlock()
	log.Printf("chatgpt-standin: fault armed: %d for %d request(s)", f.Status, f.Times)
	w.WriteHeader(http.StatusNoContent)
}

// takeFault returns the first armed fault matching token, using up one of its times.
func (b *backend) takeFault(token string) *fault {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, f := range b.faults {
		if f.AccessToken != "" && f.AccessToken != token {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			b.faults = append(b.faults[:i], b.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

func (b *backend) handleResponses(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	rec := record{
		Time: time.Now().UTC(), Method: r.Method, Path: r.URL.Path,
		Authorization: r.Header.Get("Authorization"),
		AccountID:     r.Header.Get("ChatGPT-Account-Id"),
		Originator:    r.Header.Get("originator"),
		SessionID:     r.Header.Get("session_id"),
		UserAgent:     r.Header.Get("User-Agent"),
		Headers:       r.Header.Clone(),
	}
	rec.AccessToken, _ = strings.CutPrefix(rec.Authorization, "Bearer ")
	var body map[string]any
	if json.Unmarshal(raw, &body) == nil {
		rec.Body = raw
		rec.Model, _ = body["model"].(string)
		rec.Stream, rec.Store, rec.Include = body["stream"], body["store"], body["include"]
		rec.Instructions, _ = body["instructions"].(string)
	}

	status, answer := b.answer(w, rec, body)
	rec.Status, rec.Answer = status, answer
	b.save(rec)
}

// answer refuses what the real backend refuses, or streams the reply. It returns the status
// and the text sent.
func (b *backend) answer(w http.ResponseWriter, rec record, body map[string]any) (int, string) {
	fail := func(status int, msg string) (int, string) {
		writeJSON(w, status, map[string]string{"detail": "ChatGPT stand-in: " + msg})
		return status, msg
	}
	switch {
	case !strings.HasPrefix(rec.Authorization, "Bearer ") || rec.AccessToken == "":
		return fail(http.StatusUnauthorized, "no bearer access token")
	case tokenProblem(rec.AccessToken, time.Now()) != "":
		// The real backend verifies the token and refuses others with 401. The stand-in
		// cannot check signatures; it refuses what is not a JWT or has expired, which covers
		// the rotator's fail-fast file (access_token "no-usable-chatgpt-account",
		// rotator/litellm.go) that exists to be refused here.
		return fail(http.StatusUnauthorized, tokenProblem(rec.AccessToken, time.Now()))
	case body == nil:
		return fail(http.StatusBadRequest, "the body is not a JSON object")
	case rec.Model == "" || strings.Contains(rec.Model, "/"):
		// A provider-prefixed name such as "responses/gpt-5.4" (LiteLLM's chatgpt/responses/
		// path on the Responses API) is rejected by the real backend with a 400; the project
		// once lost days to it (docs, codex-and-litellm notes). The exact upstream text is not
		// reproduced.
		return fail(http.StatusBadRequest, fmt.Sprintf("unsupported model '%s'", rec.Model))
	case body["stream"] != true:
		// LiteLLM's provider forces stream=true and store=false
		// (ChatGPTResponsesAPIConfig.transform_responses_api_request) because the backend
		// only serves streamed, unstored responses; the stand-in holds callers to that.
		return fail(http.StatusBadRequest, "stream must be true")
	case body["store"] != false:
		return fail(http.StatusBadRequest, "store must be false")
	}
	if f := b.takeFault(rec.AccessToken); f != nil {
		payload := f.Body
		if len(payload) == 0 {
			payload = defaultFaultBody(f.Status)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		w.Write(payload)
		return f.Status, string(payload)
	}
	text := fmt.Sprintf("%s [model %s, account %s]", b.reply, rec.Model, orNone(rec.AccountID))
	streamReply(w, rec.Model, text)
	return http.StatusOK, text
}

// defaultFaultBody is ChatGPT's usage-limit error for a 429 (the shape codex parses as
// usage_limit_reached, with plan_type and resets_at; the rotator reads the type and the reset
// time from LiteLLM's error text, rotator/limits.go), else a plain message.
func defaultFaultBody(status int) json.RawMessage {
	if status == http.StatusTooManyRequests {
		reset := time.Now().Add(time.Hour).Unix()
		data, _ := json.Marshal(map[string]any{"error": map[string]any{
			"type": "usage_limit_reached", "message": "The usage limit has been reached (ChatGPT stand-in)",
			"plan_type": "plus", "resets_at": reset, "resets_in_seconds": 3600,
		}})
		return data
	}
	data, _ := json.Marshal(map[string]string{"detail": fmt.Sprintf("ChatGPT stand-in: fault %d", status)})
	return data
}

func (b *backend) save(rec record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rec.Seq = len(b.records) + 1
	b.records = append(b.records, rec)
	log.Printf("chatgpt-standin: POST %s model=%q account=%q -> %d", rec.Path, rec.Model, rec.AccountID, rec.Status)
	if b.file != nil {
		line, err := json.Marshal(rec)
		if err == nil {
			line = append(line, '\n')
			_, err = b.file.Write(line)
		}
		if err != nil {
			log.Printf("chatgpt-standin: writing the records file: %v", err)
		}
	}
}

// tokenProblem says why token is not an access token the stand-in accepts: it must be a
// JWT whose payload has an exp in the future.
func tokenProblem(token string, now time.Time) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "the access token is not a JWT"
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "the access token's payload is not base64url"
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return "the access token has no exp claim"
	}
	if exp := time.Unix(int64(*claims.Exp), 0); !now.Before(exp) {
		return "the access token expired at " + exp.UTC().Format(time.RFC3339)
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func randomID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
