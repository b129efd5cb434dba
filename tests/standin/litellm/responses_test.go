package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// upstreamCall is what the fake ChatGPT backend saw.
type upstreamCall struct {
	path   string
	header http.Header
	body   map[string]any
	raw    string
}

// fakeChatGPT answers /responses with a short event stream, or with status/errBody when set.
type fakeChatGPT struct {
	mu      sync.Mutex
	calls   []upstreamCall
	status  int
	errBody string
	srv     *httptest.Server
}

const upstreamStream = `event: response.created
data: {"type":"response.created","response":{"id":"resp_1","status":"in_progress"}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","delta":"hi"}

event: response.output_item.done
data: {"type":"response.output_item.done","item":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hi"}]}}

event: response.completed
data: {"type":"response.completed","response":{"id":"resp_1","status":"completed","usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4}}}

`

func newFakeChatGPT(t *testing.T) *fakeChatGPT {
	f := &fakeChatGPT{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		f.mu.Lock()
		f.calls = append(f.calls, upstreamCall{path: r.URL.Path, header: r.Header.Clone(), body: body, raw: string(raw)})
		status, errBody := f.status, f.errBody
		f.mu.Unlock()
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, errBody)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, upstreamStream)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeChatGPT) fail(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.errBody = status, body
}

func (f *fakeChatGPT) seen() []upstreamCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]upstreamCall{}, f.calls...)
}

// newResponsesEnv is a stand-in with a valid token file for acct-1 and the agent's key
// registered with the pool's alias.
func newResponsesEnv(t *testing.T) (*testEnv, *fakeChatGPT) {
	up := newFakeChatGPT(t)
	e := newTestEnv(t, up.srv.URL, nil)
	writeTokenFile(t, e.tokenDir, validToken("pool-access-token-1", "acct-1"))
	status, body := generate(e, testAgentKey, "cloud-codex-a1", testAlias)
	require.Equal(t, 200, status, body)
	return e, up
}

// sseData returns the data of each SSE event in body.
func sseData(t *testing.T, body string) []map[string]any {
	t.Helper()
	var events []map[string]any
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var ev map[string]any
			require.NoError(t, json.Unmarshal([]byte(data), &ev), data)
			events = append(events, ev)
		}
	}
	return events
}

const codexLikeRequest = `{"model":"codex-cli/gpt-5.4","instructions":"You are codex.","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],` +
	`"tools":[],"tool_choice":"auto","parallel_tool_calls":false,"reasoning":null,"store":true,"stream":true,"include":[],"prompt_cache_key":"abc","metadata":{"x":"y"}}`

// The request ChatGPT gets: the pool's token and account, the provider's headers, the
// transformed body; and nothing of the agent's key anywhere.
func TestResponsesForwardsWithThePoolToken(t *testing.T) {
	e, up := newResponsesEnv(t)
	status, body := e.do("POST", "/v1/responses", testAgentKey, codexLikeRequest)
	require.Equal(t, 200, status, body)

	calls := up.seen()
	require.Len(t, calls, 1)
	c := calls[0]
	require.Equal(t, "/responses", c.path)
	require.Equal(t, "Bearer pool-access-token-1", c.header.Get("Authorization"))
	require.Equal(t, "acct-1", c.header.Get("ChatGPT-Account-Id"))
	require.Equal(t, "text/event-stream", c.header.Get("Accept"))
	require.Equal(t, "codex_cli_rs", c.header.Get("originator"))
	require.NotEmpty(t, c.header.Get("session_id"))
	for name, values := range c.header {
		for _, v := range values {
			require.NotContains(t, v, testAgentKey, "header %s carries the agent's key", name)
		}
	}
	require.NotContains(t, c.raw, testAgentKey)

	require.Equal(t, "gpt-5.4", c.body["model"], "the alias is routed to chatgpt/gpt-5.4, sent without the provider prefix")
	require.Equal(t, false, c.body["store"])
	require.Equal(t, true, c.body["stream"])
	require.Equal(t, []any{"reasoning.encrypted_content"}, c.body["include"])
	require.Equal(t, standinInstructions+"\n\nYou are codex.", c.body["instructions"])
	for _, dropped := range []string{"parallel_tool_calls", "prompt_cache_key", "metadata"} {
		require.NotContains(t, c.body, dropped, "transform_responses_api_request keeps only allowed_keys")
	}
	require.Contains(t, c.body, "tool_choice")

	events := sseData(t, body)
	require.Len(t, events, 4, "every upstream event is relayed")
	require.Equal(t, "response.created", events[0]["type"])
	require.Equal(t, "response.completed", events[3]["type"])
	require.NotContains(t, body, "event: ", "relayed as data-only events")
}

// /responses (without /v1) is the same route; CHATGPT_DEFAULT_INSTRUCTIONS replaces the
// built-in prompt and is not prepended twice.
func TestResponsesRootRouteAndInstructions(t *testing.T) {
	up := newFakeChatGPT(t)
	e := newTestEnv(t, up.srv.URL, map[string]string{"CHATGPT_DEFAULT_INSTRUCTIONS": "BASE"})
	writeTokenFile(t, e.tokenDir, validToken("tok", "acct"))
	status, body := e.do("POST", "/responses", testMasterKey, `{"model":"codex-cli/gpt-5.4","input":"hi","instructions":"BASE and more","stream":true}`)
	require.Equal(t, 200, status, body)
	require.Equal(t, "BASE and more", up.seen()[0].body["instructions"])
}

func TestResponsesReadsTheTokenFileOnEachRequest(t *testing.T) {
	e, up := newResponsesEnv(t)
	status, body := e.do("POST", "/v1/responses", testAgentKey, codexLikeRequest)
	require.Equal(t, 200, status, body)
	writeTokenFile(t, e.tokenDir, validToken("pool-access-token-2", "acct-2"))
	status, body = e.do("POST", "/v1/responses", testAgentKey, codexLikeRequest)
	require.Equal(t, 200, status, body)
	calls := up.seen()
	require.Equal(t, "Bearer pool-access-token-2", calls[1].header.Get("Authorization"))
	require.Equal(t, "acct-2", calls[1].header.Get("ChatGPT-Account-Id"))
}

func TestResponsesRefusesBeforeCallingUpstream(t *testing.T) {
	e, up := newResponsesEnv(t)
	denied := "sk-denied-0123456789abcdef0123456789abcdef"
	status, body := generate(e, denied, "other", "some-other-model")
	require.Equal(t, 200, status, body)

	for name, tc := range map[string]struct {
		key, body string
		status    int
		message   string
		typ       string
	}{
		"no key":        {"", codexLikeRequest, 401, "No api key passed in", errAuth},
		"unknown key":   {"sk-unknown-0123456789abcdef", codexLikeRequest, 401, "Invalid proxy server token passed", errTokenNotFoundInDB},
		"model denied":  {denied, codexLikeRequest, 401, "key not allowed to access model. This key can only access models=['some-other-model']. Tried to access codex-cli/gpt-5.4", errKeyModelDenied},
		"unknown model": {testMasterKey, `{"model":"nope","input":"hi","stream":true}`, 400, "Invalid model name passed in model=nope", errInvalidRequest},
		"no input":      {testAgentKey, `{"model":"codex-cli/gpt-5.4","stream":true}`, 400, "Missing required parameter: 'input'", errInvalidRequest},
		"no model":      {testAgentKey, `{"stream":true}`, 400, "model is required", errInvalidRequest},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := e.do("POST", "/v1/responses", tc.key, tc.body)
			require.Equal(t, tc.status, status, body)
			msg, typ := errorMessage(t, body)
			require.Contains(t, msg, tc.message)
			require.Equal(t, tc.typ, typ)
		})
	}
	require.Empty(t, up.seen(), "nothing reached ChatGPT")
}

func TestCanCall(t *testing.T) {
	for _, tc := range []struct {
		models []string
		model  string
		want   bool
	}{
		{nil, "anything", true},
		{[]string{allProxyModels}, "anything", true},
		{[]string{"*"}, "anything", true},
		{[]string{"codex-cli/*"}, "codex-cli/gpt-5.4", true},
		{[]string{"codex-cli/*"}, "other/gpt-5.4", false},
		{[]string{"codex-cli/gpt-5.4"}, "codex-cli/gpt-5.4", true},
		{[]string{"codex-cli/gpt-5.4"}, "codex-cli/gpt-5.4-mini", false},
	} {
		require.Equal(t, tc.want, canCall(tc.models, tc.model), "%v may call %s", tc.models, tc.model)
	}
}

// No usable token file: the stand-in fails the request, saying what LiteLLM would do, and
// never calls ChatGPT.
func TestResponsesWithoutATokenFile(t *testing.T) {
	e, up := newResponsesEnv(t)
	require.NoError(t, os.Remove(filepath.Join(e.tokenDir, "auth.json")))
	status, body := e.do("POST", "/v1/responses", testAgentKey, codexLikeRequest)
	require.Equal(t, 401, status)
	msg, typ := errorMessage(t, body)
	require.Equal(t, errStandinLogin, typ)
	require.Contains(t, msg, "device-code login")
	require.Contains(t, msg, "authenticator.py")
	require.Empty(t, up.seen())

	e.flushEvents()
	payloads := e.sink.payloads(t)
	require.Len(t, payloads, 1)
	require.Equal(t, "failure", payloads[0]["status"])
	info := payloads[0]["error_information"].(map[string]any)
	require.Equal(t, "401", info["error_code"])
	require.Equal(t, "AuthenticationError", info["error_class"])
}

// An expired token with a refresh token: LiteLLM would refresh it itself. The stand-in
// answers 503 saying so, never calls ChatGPT, and reports nothing to the callback (an
// authentication failure there would park a healthy account in the rotator).
func TestResponsesWithAnExpiredToken(t *testing.T) {
	e, up := newResponsesEnv(t)
	rec := validToken("pool-access-token-1", "acct-1")
	rec["expires_at"] = time.Now().Add(30 * time.Second).Unix()
	writeTokenFile(t, e.tokenDir, rec)
	status, body := e.do("POST", "/v1/responses", testAgentKey, codexLikeRequest)
	require.Equal(t, 503, status)
	msg, typ := errorMessage(t, body)
	require.Equal(t, errStandinRefresh, typ)
	require.Contains(t, msg, "refresh it itself")
	require.Empty(t, up.seen())
	e.flushEvents()
	require.Empty(t, e.sink.payloads(t))
}

// A 429 from ChatGPT comes back as a 429 with ChatGPT's text, and the generic_api callback
// reports it in the fields the rotator reads (rotator/events.go).
func TestResponsesRateLimitIsReportedToTheCallback(t *testing.T) {
	e, up := newResponsesEnv(t)
	up.fail(429, `{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_at":1900000000}}`)
	status, body := e.do("POST", "/v1/responses", testAgentKey, codexLikeRequest)
	require.Equal(t, 429, status)
	msg, _ := errorMessage(t, body)
	require.Contains(t, msg, "litellm.RateLimitError")
	require.Contains(t, msg, "usage_limit_reached")

	e.flushEvents()
	payloads := e.sink.payloads(t)
	require.Len(t, payloads, 1)
	p := payloads[0]
	require.Equal(t, "failure", p["status"])
	require.Equal(t, "chatgpt", p["custom_llm_provider"])
	require.Equal(t, "chatgpt/gpt-5.4", p["model"])
	require.Greater(t, p["startTime"].(float64), 1.7e9, "startTime is unix seconds")
	require.Contains(t, p["error_str"], "resets_at")
	info := p["error_information"].(map[string]any)
	require.Equal(t, "429", info["error_code"])
	require.Equal(t, "RateLimitError", info["error_class"])
	require.Equal(t, "chatgpt", info["llm_provider"])
	meta := p["metadata"].(map[string]any)
	require.Equal(t, "cloud-codex-a1", meta["user_api_key_alias"])
	require.Equal(t, hashToken(testAgentKey), meta["user_api_key_hash"])
}

func TestResponsesSuccessIsReportedToTheCallback(t *testing.T) {
	e, _ := newResponsesEnv(t)
	for i := 0; i < 2; i++ {
		status, body := e.do("POST", "/v1/responses", testAgentKey, codexLikeRequest)
		require.Equal(t, 200, status, body)
	}
	e.flushEvents()
	require.Equal(t, 1, e.sink.posts(), "queued payloads go out in one POST")
	payloads := e.sink.payloads(t)
	require.Len(t, payloads, 2)
	require.Equal(t, "success", payloads[0]["status"])
	require.Equal(t, float64(4), payloads[0]["total_tokens"])
	require.Equal(t, testAlias, payloads[0]["model_group"])
}

// A client that does not stream gets the response.completed object as JSON
// (transform_response_api_response).
func TestResponsesWithoutStreaming(t *testing.T) {
	e, up := newResponsesEnv(t)
	status, body := e.do("POST", "/v1/responses", testAgentKey, `{"model":"codex-cli/gpt-5.4","input":"hi"}`)
	require.Equal(t, 200, status, body)
	require.JSONEq(t, `{"id":"resp_1","status":"completed","usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4}}`, body)
	require.Equal(t, true, up.seen()[0].body["stream"], "upstream always streams")
}

func TestModelsListsWhatTheKeyMayCall(t *testing.T) {
	e, _ := newResponsesEnv(t)
	denied := "sk-denied-0123456789abcdef0123456789abcdef"
	status, body := generate(e, denied, "other", "some-other-model")
	require.Equal(t, 200, status, body)
	for key, want := range map[string]string{testAgentKey: `["` + testAlias + `"]`, denied: `[]`, testMasterKey: `["` + testAlias + `"]`} {
		status, body := e.do("GET", "/v1/models", key, "")
		require.Equal(t, 200, status, body)
		var parsed struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &parsed))
		ids := []string{}
		for _, d := range parsed.Data {
			ids = append(ids, d.ID)
		}
		got, _ := json.Marshal(ids)
		require.JSONEq(t, want, string(got), "key %s", fmt.Sprint(key[:8]))
	}
}

// The probes' routes answer without a key; /health (which calls every model) is not served.
func TestHealthRoutes(t *testing.T) {
	e := newTestEnv(t, "http://127.0.0.1:1", nil)
	for _, path := range []string{"/health/liveliness", "/health/liveness"} {
		status, body := e.do("GET", path, "", "")
		require.Equal(t, 200, status)
		require.Contains(t, body, "I'm alive!")
		require.Contains(t, body, "stand-in")
	}
	status, body := e.do("GET", "/health/readiness", "", "")
	require.Equal(t, 200, status)
	var ready map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &ready))
	require.Equal(t, "healthy", ready["status"])
	require.Contains(t, ready["litellm_standin"], "not LiteLLM")

	status, _ = e.do("GET", "/health", testMasterKey, "")
	require.Equal(t, 501, status)
	status, body = e.do("GET", "/nowhere", "", "")
	require.Equal(t, 404, status)
	require.JSONEq(t, `{"detail":"Not Found"}`, body)
}

// codex stops reading once it has response.completed and may hang up before the upstream
// body ends; the call still counts as a success.
func TestResponsesClientHangingUpAfterCompletedIsASuccess(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, upstreamStream)
		w.(http.Flusher).Flush()
		select { // keep the body open until the client is gone
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer up.Close()
	defer close(release)
	e := newTestEnv(t, up.URL, nil)
	writeTokenFile(t, e.tokenDir, validToken("tok", "acct"))

	req, err := http.NewRequest("POST", e.http.URL+"/v1/responses", strings.NewReader(codexLikeRequest))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testMasterKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.Contains(sc.Text(), `"response.completed"`) {
	}
	resp.Body.Close()

	require.Eventually(t, func() bool {
		e.flushEvents()
		return len(e.sink.payloads(t)) == 1
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, "success", e.sink.payloads(t)[0]["status"])
}
