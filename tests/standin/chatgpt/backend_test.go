package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// jwt is an unsigned access token valid for an hour, named by sub so tests can tell them apart.
func jwt(sub string) string {
	enc := func(v any) string { data, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(data) }
	return enc(map[string]string{"alg": "none"}) + "." + enc(map[string]any{"sub": sub, "exp": time.Now().Add(time.Hour).Unix()}) + ".sig"
}

var (
	tok1      = jwt("tok-1")
	tok2      = jwt("tok-2")
	tokOther  = jwt("tok-other")
	tokLimit  = jwt("tok-limited")
	tokAny    = jwt("any")
	tokSimple = jwt("t")
)

func newTestBackend(t *testing.T) (*backend, *httptest.Server, string) {
	path := filepath.Join(t.TempDir(), "records.jsonl")
	b, err := newBackend(path, defaultReply)
	require.NoError(t, err)
	t.Cleanup(b.close)
	srv := httptest.NewServer(b.routes())
	t.Cleanup(srv.Close)
	return b, srv, path
}

// litellmBody is what LiteLLM's ChatGPT provider sends (stream and store forced).
const litellmBody = `{"model":"gpt-5.4","instructions":"x","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],"stream":true,"store":false,"include":["reasoning.encrypted_content"]}`

func post(t *testing.T, url, token, account, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/responses", strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if account != "" {
		req.Header.Set("ChatGPT-Account-Id", account)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(data)
}

// sseEvent is one parsed event: the event: line and the JSON data.
type sseEvent struct {
	name string
	data map[string]any
}

func parseSSE(t *testing.T, body string) []sseEvent {
	t.Helper()
	var events []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.data != nil {
				events = append(events, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.data), line)
		}
	}
	require.Nil(t, cur.data, "the body ends with a complete event")
	return events
}

// The stream holds what codex-rs's process_sse needs (see streamReply): typed JSON events,
// a created event with a response, text deltas, the finished message item, and
// response.completed with a string id and integer usage, after which the body ends.
func TestReplyIsAStreamCodexAccepts(t *testing.T) {
	_, srv, _ := newTestBackend(t)
	resp, body := post(t, srv.URL, tok1, "acct-1", litellmBody)
	require.Equal(t, 200, resp.StatusCode, body)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))

	events := parseSSE(t, body)
	require.GreaterOrEqual(t, len(events), 5)
	types := []string{}
	text := ""
	for i, ev := range events {
		typ, ok := ev.data["type"].(string)
		require.True(t, ok, "event %d has a type", i)
		require.Equal(t, typ, ev.name, "the event: line names the type")
		require.EqualValues(t, i, ev.data["sequence_number"])
		types = append(types, typ)
		if typ == "response.output_text.delta" {
			text += ev.data["delta"].(string)
		}
	}
	require.Equal(t, "response.created", types[0])
	require.NotNil(t, events[0].data["response"], "codex ignores response.created without a response")
	require.Equal(t, "response.completed", types[len(types)-1], "nothing after response.completed")
	want := defaultReply + " [model gpt-5.4, account acct-1]"
	require.Equal(t, want, text, "the deltas add up to the reply")

	var done map[string]any
	for _, ev := range events {
		if ev.data["type"] == "response.output_item.done" {
			done = ev.data["item"].(map[string]any)
		}
	}
	require.Equal(t, "message", done["type"])
	require.Equal(t, "assistant", done["role"])
	content := done["content"].([]any)[0].(map[string]any)
	require.Equal(t, "output_text", content["type"])
	require.Equal(t, want, content["text"])

	completed := events[len(events)-1].data["response"].(map[string]any)
	require.IsType(t, "", completed["id"])
	usage := completed["usage"].(map[string]any)
	for _, k := range []string{"input_tokens", "output_tokens", "total_tokens"} {
		n, ok := usage[k].(float64)
		require.True(t, ok && n == float64(int64(n)), "usage.%s is an integer", k)
	}
	require.Contains(t, usage["input_tokens_details"], "cached_tokens")
	require.Contains(t, usage["output_tokens_details"], "reasoning_tokens")
}

// Every request is recorded, at /_records and in the JSON-lines file, with the token and
// account it carried.
func TestRequestsAreRecorded(t *testing.T) {
	_, srv, path := newTestBackend(t)
	post(t, srv.URL, tok1, "acct-1", litellmBody)
	post(t, srv.URL, tok2, "", litellmBody)

	resp, err := http.Get(srv.URL + "/_records")
	require.NoError(t, err)
	defer resp.Body.Close()
	var recs []record
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&recs))
	require.Len(t, recs, 2)
	require.Equal(t, 1, recs[0].Seq)
	require.Equal(t, "Bearer "+tok1, recs[0].Authorization)
	require.Equal(t, tok1, recs[0].AccessToken)
	require.Equal(t, "acct-1", recs[0].AccountID)
	require.Equal(t, "gpt-5.4", recs[0].Model)
	require.Equal(t, 200, recs[0].Status)
	require.Equal(t, []string{"Bearer " + tok1}, recs[0].Headers["Authorization"])
	require.Equal(t, tok2, recs[1].AccessToken)
	require.Empty(t, recs[1].AccountID)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2)
	var first record
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.Equal(t, tok1, first.AccessToken)

	req, _ := http.NewRequest("DELETE", srv.URL+"/_records", nil)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	resp, err = http.Get(srv.URL + "/_records")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&recs))
	require.Empty(t, recs)
}

func TestRefusals(t *testing.T) {
	_, srv, _ := newTestBackend(t)
	for name, tc := range map[string]struct {
		token, body string
		status      int
		want        string
	}{
		"no token":                      {"", litellmBody, 401, "no bearer access token"},
		"the rotator's fail-fast token": {"no-usable-chatgpt-account", litellmBody, 401, "not a JWT"},
		"an expired token":              {"eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDAwMDB9.sig", litellmBody, 401, "expired at 2023-11-14"},
		"a provider-prefixed model":     {tokSimple, strings.Replace(litellmBody, `"gpt-5.4"`, `"responses/gpt-5.4"`, 1), 400, "unsupported model 'responses/gpt-5.4'"},
		"not streamed":                  {tokSimple, strings.Replace(litellmBody, `"stream":true`, `"stream":false`, 1), 400, "stream must be true"},
		"stored":                        {tokSimple, strings.Replace(litellmBody, `"store":false`, `"store":true`, 1), 400, "store must be false"},
		"not JSON":                      {tokSimple, "{", 400, "not a JSON object"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := post(t, srv.URL, tc.token, "", tc.body)
			require.Equal(t, tc.status, resp.StatusCode)
			require.Contains(t, body, tc.want)
		})
	}
}

// An armed fault answers instead of the reply: by default a 429 carrying ChatGPT's
// usage_limit_reached error with its reset time, for one request, optionally only for one
// access token.
func TestFaults(t *testing.T) {
	_, srv, _ := newTestBackend(t)
	arm := func(body string) {
		resp, err := http.Post(srv.URL+"/_faults", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 204, resp.StatusCode)
	}
	arm(`{"status":429,"access_token":"` + tokLimit + `"}`)

	resp, _ := post(t, srv.URL, tokOther, "", litellmBody)
	require.Equal(t, 200, resp.StatusCode, "another token is not affected")
	resp, body := post(t, srv.URL, tokLimit, "", litellmBody)
	require.Equal(t, 429, resp.StatusCode)
	var parsed struct {
		Error struct {
			Type     string `json:"type"`
			ResetsAt int64  `json:"resets_at"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &parsed))
	require.Equal(t, "usage_limit_reached", parsed.Error.Type)
	require.Positive(t, parsed.Error.ResetsAt)
	resp, _ = post(t, srv.URL, tokLimit, "", litellmBody)
	require.Equal(t, 200, resp.StatusCode, "the fault was for one request")

	arm(`{"status":503,"times":2,"body":{"detail":"down"}}`)
	for i := 0; i < 2; i++ {
		resp, body = post(t, srv.URL, tokAny, "", litellmBody)
		require.Equal(t, 503, resp.StatusCode)
		require.JSONEq(t, `{"detail":"down"}`, body)
	}
	resp, _ = post(t, srv.URL, tokAny, "", litellmBody)
	require.Equal(t, 200, resp.StatusCode)

	resp, err := http.Post(srv.URL+"/_faults", "application/json", strings.NewReader(`{"status":200}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
}

func TestRunRefusesStrayArguments(t *testing.T) {
	err := run(t.Context(), []string{"extra"}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "unexpected arguments")
}
