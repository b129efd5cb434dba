package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"cloud-codex/rotator"
)

// The stand-in's generic_api posts, read by the project's own rotator listener: the batch
// decodes, and a ChatGPT 429 is recognised as a rate limit (the rotator answers
// {"payloads": n, "rate_limits": m}).
func TestRotatorReadsTheCallbackPosts(t *testing.T) {
	rot, err := rotator.New(rotator.Config{Dir: t.TempDir(), Accounts: []int{1, 2}, Logger: log.New(io.Discard, "", 0)})
	require.NoError(t, err)
	var mu sync.Mutex
	var answers []string
	handler := rot.Handler()
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		mu.Lock()
		answers = append(answers, strings.TrimSpace(rec.Body.String()))
		mu.Unlock()
		w.WriteHeader(rec.Code)
	}))
	defer listener.Close()

	up := newFakeChatGPT(t)
	e := newTestEnv(t, up.srv.URL, map[string]string{"GENERIC_LOGGER_ENDPOINT": listener.URL + rotator.EventsPath})
	writeTokenFile(t, e.tokenDir, validToken("tok", "acct"))
	status, body := e.do("POST", "/v1/responses", testMasterKey, codexLikeRequest)
	require.Equal(t, 200, status, body)
	up.fail(429, `{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":3600}}`)
	status, _ = e.do("POST", "/v1/responses", testMasterKey, codexLikeRequest)
	require.Equal(t, 429, status)
	e.flushEvents()

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, answers, 1, "one batch")
	var got struct {
		Payloads   int `json:"payloads"`
		RateLimits int `json:"rate_limits"`
	}
	require.NoError(t, json.Unmarshal([]byte(answers[0]), &got), answers[0])
	require.Equal(t, 2, got.Payloads)
	require.Equal(t, 1, got.RateLimits, "the 429 is recognised as a ChatGPT rate limit")
	require.EqualValues(t, 2, rot.Status().EventsReceived)
}
