package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"runtime"
	"strings"
	"time"

	"cloud-codex/litellmconfig"
)

// The Responses API route (POST /v1/responses and /responses): auth, the key's model
// allowlist, routing the alias to its chatgpt/ deployment, and the ChatGPT provider
// (litellm/llms/chatgpt/responses/transformation.py, ChatGPTResponsesAPIConfig;
// litellm/llms/chatgpt/common_utils.py).

// defaultAPIBase is common_utils.CHATGPT_API_BASE, quoted in messages only: the stand-in
// never calls it on its own (see newServer).
const defaultAPIBase = "https://chatgpt.com/backend-api/codex"

// allowedUpstreamKeys is transform_responses_api_request's allowed_keys: everything else
// the client sent is dropped before the request goes to ChatGPT.
var allowedUpstreamKeys = map[string]bool{
	"model": true, "input": true, "instructions": true, "stream": true, "store": true, "include": true,
	"tools": true, "tool_choice": true, "reasoning": true, "previous_response_id": true, "truncation": true,
}

// defaultOriginator is common_utils.DEFAULT_ORIGINATOR (CHATGPT_ORIGINATOR overrides it).
const defaultOriginator = "codex_cli_rs"

// standinInstructions replaces common_utils.CHATGPT_DEFAULT_INSTRUCTIONS, LiteLLM's long
// built-in prompt, which the stand-in does not copy. CHATGPT_DEFAULT_INSTRUCTIONS in the
// environment overrides both, as get_chatgpt_default_instructions does.
const standinInstructions = "[LiteLLM stand-in: LiteLLM would prepend its built-in CHATGPT_DEFAULT_INSTRUCTIONS here]"

func (s *server) handleResponses(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	p, aerr := s.authenticate(r)
	if aerr != nil {
		aerr.write(w)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeProxyError(w, http.StatusBadRequest, "reading the request body: "+err.Error(), errBadRequest, nil)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		writeProxyError(w, http.StatusBadRequest, "the request body is not a JSON object: "+err.Error(), errBadRequest, nil)
		return
	}
	alias, _ := body["model"].(string)
	if alias == "" {
		writeProxyError(w, http.StatusBadRequest, "model is required", errInvalidRequest, strPtr("model"))
		return
	}
	// user_api_key_auth runs can_key_call_model before the request is routed: a key whose
	// allowlist lacks the alias is refused even if the alias does not exist.
	if !p.master && !canCall(p.key.Models, alias) {
		modelDenied(p.key.Models, alias).write(w)
		return
	}
	if body["input"] == nil {
		// litellm/proxy/route_llm_request.py, REQUIRED_BODY_PARAMS_BY_ROUTE["aresponses"]
		// ("input"): ProxyMissingRequiredParamError (recent releases; older ones passed the
		// request on and failed upstream).
		writeProxyError(w, http.StatusBadRequest, "/responses: Missing required parameter: 'input'.", errInvalidRequest, strPtr("input"))
		return
	}
	deployment, ok := s.settings.models[alias]
	if !ok {
		// route_llm_request.py, ProxyModelNotFoundError: a model_name the router does not
		// know, 400 with detail {"error": "<route>: Invalid model name passed in model=…"}.
		writeProxyError(w, http.StatusBadRequest, fmt.Sprintf("{'error': '/responses: Invalid model name passed in model=%s. Call `/v1/models` to view available models for your key.'}", alias), errInvalidRequest, nil)
		return
	}
	// get_llm_provider splits "chatgpt/<model>" at the first "/": the provider gets the rest,
	// so "chatgpt/responses/gpt-5.4" reaches ChatGPT as "responses/gpt-5.4" (the leak the
	// project's policy forbids on this path).
	upstreamModel := strings.TrimPrefix(deployment, litellmconfig.ChatGPTPrefix)
	clientStream, _ := body["stream"].(bool)

	call := &llmCall{
		id: newID(), start: start, alias: alias, deployment: deployment, principal: p,
		stream: clientStream, input: body["input"], apiBase: s.apiBase,
	}

	// ChatGPTResponsesAPIConfig.validate_environment: the token file is read now, for this
	// request; a file that cannot give a token is where the real proxy logs in.
	creds, err := s.tokens.read()
	if err != nil {
		var login *loginRequired
		if errors.As(err, &login) && login.refresh {
			// LiteLLM would refresh the token and, most likely, serve the request. The
			// stand-in cannot, and does not report a failure to the callbacks either: an
			// authentication failure there would make the rotator park a healthy account
			// (rotator/authfail.go). 503 tells the caller to try again, as after a refresh
			// the rotator might make (it refreshes ahead of LiteLLM's skew window).
			log.Printf("litellm-standin: %v", err)
			writeProxyError(w, http.StatusServiceUnavailable, err.Error(), errStandinRefresh, nil)
			return
		}
		if login != nil {
			log.Printf("litellm-standin: %v", err)
			// The device login ends, at the latest after DEVICE_CODE_TIMEOUT_SECONDS, in an
			// error that validate_environment turns into an AuthenticationError (401); that
			// failure reaches the callbacks like any failed LLM call. The stand-in reports it
			// at once.
			s.logFailure(call, http.StatusUnauthorized, err.Error())
			writeProxyError(w, http.StatusUnauthorized, err.Error(), errStandinLogin, nil)
			return
		}
		s.logFailure(call, http.StatusInternalServerError, err.Error())
		writeProxyError(w, http.StatusInternalServerError, err.Error(), errInternal, nil)
		return
	}

	upstreamBody := s.transformRequest(body, upstreamModel)
	payload, err := json.Marshal(upstreamBody)
	if err != nil {
		writeProxyError(w, http.StatusInternalServerError, err.Error(), errInternal, nil)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, strings.TrimRight(s.apiBase, "/")+"/responses", bytes.NewReader(payload))
	if err != nil {
		writeProxyError(w, http.StatusInternalServerError, err.Error(), errInternal, nil)
		return
	}
	for k, v := range s.upstreamHeaders(creds) {
		req.Header.Set(k, v)
	}
	resp, err := s.upstream.Do(req)
	if err != nil {
		msg := fmt.Sprintf("litellm.APIConnectionError: ChatgptException - %v", err)
		s.logFailure(call, http.StatusInternalServerError, msg)
		writeProxyError(w, http.StatusInternalServerError, msg, "None", nil)
		return
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		// LiteLLM maps a provider's HTTP error to the exception of that status (a 429 is a
		// RateLimitError) and answers with the same status; the provider's text is kept in
		// the message, which is what the rotator searches for usage_limit_reached and
		// resets_at (rotator/limits.go).
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		msg := fmt.Sprintf("litellm.%s: ChatgptException - %s", exceptionClass(resp.StatusCode), strings.TrimSpace(string(text)))
		s.logFailure(call, resp.StatusCode, msg)
		writeProxyError(w, resp.StatusCode, msg, "None", nil)
		return
	}

	if clientStream {
		s.relayStream(w, resp.Body, call)
		return
	}
	s.collectResponse(w, resp.Body, call)
}

// transformRequest is ChatGPTResponsesAPIConfig.transform_responses_api_request: the
// client's body with the upstream model, LiteLLM's default instructions prepended (unless
// already contained), store=false, stream=true, "reasoning.encrypted_content" added to
// include, and only allowedUpstreamKeys kept.
func (s *server) transformRequest(body map[string]any, upstreamModel string) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		if allowedUpstreamKeys[k] {
			out[k] = v
		}
	}
	out["model"] = upstreamModel
	base := s.getenv("CHATGPT_DEFAULT_INSTRUCTIONS")
	if base == "" {
		base = standinInstructions
	}
	if existing, _ := out["instructions"].(string); existing != "" {
		if !strings.Contains(existing, base) {
			out["instructions"] = base + "\n\n" + existing
		}
	} else {
		out["instructions"] = base
	}
	out["store"] = false
	out["stream"] = true
	var include []any
	if list, ok := out["include"].([]any); ok {
		include = append(include, list...)
	}
	has := false
	for _, v := range include {
		if v == "reasoning.encrypted_content" {
			has = true
		}
	}
	if !has {
		include = append(include, "reasoning.encrypted_content")
	}
	out["include"] = include
	return out
}

// upstreamHeaders is get_chatgpt_default_headers: the pool's access token as the bearer,
// JSON in, SSE out, originator and user-agent, a session id (ensure_chatgpt_session_id
// falls back to the call id, a fresh UUID per call), and ChatGPT-Account-Id when the token
// file gives one. Nothing of the client's request headers is forwarded: the agent's virtual
// key never leaves the proxy.
func (s *server) upstreamHeaders(c credentials) map[string]string {
	originator := s.getenv("CHATGPT_ORIGINATOR")
	if originator == "" {
		originator = defaultOriginator
	}
	ua := s.getenv("CHATGPT_USER_AGENT")
	if ua == "" {
		ua = fmt.Sprintf("%s/0.0.0-litellm-standin (%s; %s) unknown", originator, runtime.GOOS, runtime.GOARCH)
	}
	h := map[string]string{
		"Authorization": "Bearer " + c.accessToken,
		"Content-Type":  "application/json",
		"Accept":        "text/event-stream",
		"originator":    originator,
		"User-Agent":    ua,
		"session_id":    newUUID(),
	}
	if c.accountID != "" {
		h["ChatGPT-Account-Id"] = c.accountID
	}
	return h
}

// sseEvent is one upstream event's data and the fields the stand-in reads from it.
type sseEvent struct {
	data string
	Type string          `json:"type"`
	Resp json.RawMessage `json:"response"`
	Err  json.RawMessage `json:"error"`
}

// readEvents calls fn for each SSE event of an upstream stream: "data:" lines joined, up to
// a blank line ("event:", "id:" and comment lines are skipped).
func readEvents(r io.Reader, fn func(sseEvent) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var data []string
	dispatch := func() error {
		if len(data) == 0 {
			return nil
		}
		ev := sseEvent{data: strings.Join(data, "\n")}
		data = data[:0]
		_ = json.Unmarshal([]byte(ev.data), &ev)
		return fn(ev)
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if err := dispatch(); err != nil {
				return err
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return dispatch()
}

// relayStream sends each upstream event to the client as a `data: <json>` SSE event, the
// form LiteLLM's proxy writes re-serialised chunks in (litellm/proxy/common_request_processing.py,
// STREAM_SSE_DATA_PREFIX), flushing after each so codex sees deltas as they come.
func (s *server) relayStream(w http.ResponseWriter, body io.Reader, call *llmCall) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	err := readEvents(body, func(ev sseEvent) error {
		call.observe(ev)
		if _, err := io.WriteString(w, "data: "+ev.data+"\n\n"); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	})
	// codex stops reading once it has response.completed and may close the connection
	// before the upstream body ends: a call that completed is a success.
	if err != nil && call.failure == "" && call.completed == nil {
		call.failure = "stream interrupted: " + err.Error()
	}
	s.logOutcome(call)
}

// collectResponse answers a non-streaming client: the provider always streams
// (stream=true upstream) and transform_response_api_response builds the answer from the
// response.completed event, failing with the response.failed/error message otherwise.
func (s *server) collectResponse(w http.ResponseWriter, body io.Reader, call *llmCall) {
	err := readEvents(body, func(ev sseEvent) error { call.observe(ev); return nil })
	if err != nil && call.failure == "" && call.completed == nil {
		call.failure = "stream interrupted: " + err.Error()
	}
	s.logOutcome(call)
	if call.completed == nil {
		msg := call.failure
		if msg == "" {
			msg = "the upstream stream ended without response.completed"
		}
		writeProxyError(w, http.StatusInternalServerError, "litellm.APIError: ChatgptException - "+msg, "None", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(call.completed)
}

// llmCall is one request's bookkeeping for the logging callback.
type llmCall struct {
	id, alias, deployment, apiBase string
	start, firstByte               time.Time
	principal                      principal
	stream                         bool
	input                          any
	completed                      json.RawMessage // response.completed's "response"
	usage                          struct {
		InputTokens  int64 `json:"input_tokens"`
		OutputTokens int64 `json:"output_tokens"`
		TotalTokens  int64 `json:"total_tokens"`
	}
	failure string
}

func (c *llmCall) observe(ev sseEvent) {
	if c.firstByte.IsZero() {
		c.firstByte = time.Now()
	}
	switch ev.Type {
	case "response.completed":
		c.completed = ev.Resp
		var resp struct {
			Usage json.RawMessage `json:"usage"`
		}
		if json.Unmarshal(ev.Resp, &resp) == nil && len(resp.Usage) > 0 {
			_ = json.Unmarshal(resp.Usage, &c.usage)
		}
	case "response.failed", "error":
		// transform_response_api_response reads the message of "error", or of
		// response.error.
		msg := string(ev.Err)
		var resp struct {
			Error json.RawMessage `json:"error"`
		}
		if msg == "" && json.Unmarshal(ev.Resp, &resp) == nil {
			msg = string(resp.Error)
		}
		c.failure = ev.Type + ": " + msg
	}
}

func (s *server) logOutcome(c *llmCall) {
	if c.failure != "" || c.completed == nil {
		msg := c.failure
		if msg == "" {
			msg = "the upstream stream ended without response.completed"
		}
		s.logFailure(c, http.StatusInternalServerError, msg)
		return
	}
	s.logEvent(c, "success", 0, "")
}

func (s *server) logFailure(c *llmCall, status int, msg string) {
	log.Printf("litellm-standin: %s -> %s failed (%d): %s", c.alias, c.deployment, status, msg)
	s.logEvent(c, "failure", status, msg)
}

// logEvent queues the call's StandardLoggingPayload for the generic_api callback.
func (s *server) logEvent(c *llmCall, status string, code int, msg string) {
	if s.logger == nil {
		return
	}
	end := time.Now()
	first := c.firstByte
	if first.IsZero() {
		first = end
	}
	p := standardLoggingPayload{
		ID: c.id, TraceID: c.id, CallType: "aresponses", Stream: c.stream, Status: status,
		CustomLLMProvider: "chatgpt",
		PromptTokens:      c.usage.InputTokens, CompletionTokens: c.usage.OutputTokens, TotalTokens: c.usage.TotalTokens,
		StartTime: unixSeconds(c.start), EndTime: unixSeconds(end), CompletionStartTime: unixSeconds(first),
		ResponseTime: end.Sub(c.start).Seconds(),
		Model:        c.deployment, ModelGroup: c.alias, APIBase: c.apiBase,
		Messages: c.input, ModelParameters: map[string]any{}, HiddenParams: map[string]any{"api_base": c.apiBase},
		Standin: "written by the cloud-codex LiteLLM stand-in (tests/standin/litellm), not by LiteLLM",
	}
	if len(c.completed) > 0 {
		p.Response = c.completed
	}
	if !c.principal.master {
		p.Metadata.UserAPIKeyHash = strPtr(c.principal.key.Token)
		p.Metadata.UserAPIKeyAlias = c.principal.key.KeyAlias
	}
	if status == "failure" {
		p.ErrorStr = strPtr(msg)
		p.ErrorInformation = &loggingErrorInfo{
			ErrorCode: fmt.Sprint(code), ErrorClass: exceptionClass(code), LLMProvider: "chatgpt", ErrorMessage: msg,
		}
	}
	s.logger.log(p)
}

func newID() string { return "litellm-standin-" + newUUID() }

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
