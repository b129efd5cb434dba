// Package litellmstub is a loopback stand-in for LiteLLM's key management API, for the
// registrar's tests. It answers like LiteLLM (BerriAI/litellm,
// litellm/proxy/management_endpoints/key_management_endpoints.py): the same status codes
// and the same error bodies ({"error": {"message", "type", "param", "code"}}) for the
// cases the registrar handles, including the unique-alias check on /key/generate and
// /key/update, the 404 of /key/update for an unknown key, and the silent 200 of
// /key/generate for a key value that already exists under another alias
// (BerriAI/litellm#20494).
package litellmstub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Key is a stored virtual key.
type Key struct {
	Value    string
	Alias    string
	Models   []string
	Metadata map[string]string
}

// Request is one request the stub received.
type Request struct {
	Method, Path, Query, Authorization string
	Body                               map[string]any
}

// Stub is the fake LiteLLM. Set the fault fields before use; they are read under its lock.
type Stub struct {
	*httptest.Server
	MasterKey string

	mu       sync.Mutex
	keys     []*Key
	requests []Request
	// NotReady makes /health/readiness answer 503 this many times.
	NotReady int
	// Fail5xx makes the given path answer this status (e.g. 500) this many times; -1 for ever.
	Fail5xx map[string]int
	// Status5xx is the status Fail5xx answers (default 500).
	Status5xx int
	// Hang makes the given path never answer (until the client gives up).
	Hang map[string]bool
}

// New starts a stub whose master key is masterKey, holding keys.
func New(masterKey string, keys ...Key) *Stub {
	s := &Stub{MasterKey: masterKey, Fail5xx: map[string]int{}, Hang: map[string]bool{}, Status5xx: http.StatusInternalServerError}
	for _, k := range keys {
		s.keys = append(s.keys, &k)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Keys returns a copy of the stored keys.
func (s *Stub) Keys() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Key, len(s.keys))
	for i, k := range s.keys {
		out[i] = *k
	}
	return out
}

// Requests returns the requests received so far.
func (s *Stub) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is the number of requests to path.
func (s *Stub) Count(path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

func proxyError(w http.ResponseWriter, code int, typ, param, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": param, "code": fmt.Sprint(code),
	}})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func abbreviate(key string) string {
	if len(key) <= 4 {
		return "sk-..."
	}
	return "sk-..." + key[len(key)-4:]
}

func (s *Stub) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if r.Body != nil {
		_ = json.NewDecoder(r.Body).Decode(&body)
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Authorization: r.Header.Get("Authorization"), Body: body})
	hang := s.Hang[r.URL.Path]
	fail := s.Fail5xx[r.URL.Path]
	if fail > 0 {
		s.Fail5xx[r.URL.Path] = fail - 1
	}
	status5xx := s.Status5xx
	notReady := false
	if r.URL.Path == "/health/readiness" && s.NotReady > 0 {
		s.NotReady--
		notReady = true
	}
	s.mu.Unlock()

	if hang {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return
	}
	if fail != 0 {
		proxyError(w, status5xx, "internal_server_error", "None", "Internal Server Error, Database not connected")
		return
	}
	if r.URL.Path == "/health/readiness" {
		if notReady {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"detail": "Service Unhealthy"}`))
			return
		}
		reply(w, map[string]any{"status": "healthy", "db": "connected"})
		return
	}
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if bearer != s.MasterKey {
		proxyError(w, http.StatusUnauthorized, "token_not_found_in_db", "key",
			"Authentication Error, Invalid proxy server token passed. Received API Key = "+abbreviate(bearer)+
				", Key Hash (Token) =0123abcd. Unable to find token in cache or `LiteLLM_VerificationTokenTable`")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/key/generate":
		s.generate(w, body)
	case r.Method == http.MethodPost && r.URL.Path == "/key/update":
		s.update(w, body)
	case r.Method == http.MethodPost && r.URL.Path == "/key/delete":
		s.delete(w, body)
	case r.Method == http.MethodGet && r.URL.Path == "/key/info":
		k := s.find(r.URL.Query().Get("key"))
		if k == nil {
			proxyError(w, http.StatusNotFound, "not_found_error", "key", "Key not found in database")
			return
		}
		reply(w, map[string]any{"key": r.URL.Query().Get("key"), "info": map[string]any{
			"key_alias": k.Alias, "models": k.Models, "metadata": k.Metadata, "spend": 0.0,
		}})
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"detail":"Not Found"}`))
	}
}

func (s *Stub) find(value string) *Key {
	for _, k := range s.keys {
		if k.Value == value {
			return k
		}
	}
	return nil
}

func (s *Stub) aliasHolder(alias string, except *Key) *Key {
	for _, k := range s.keys {
		if k.Alias == alias && k != except {
			return k
		}
	}
	return nil
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func metadata(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, e := range m {
		out[k] = fmt.Sprint(e)
	}
	return out
}

func (s *Stub) generate(w http.ResponseWriter, body map[string]any) {
	alias, _ := body["key_alias"].(string)
	value, _ := body["key"].(string)
	if alias != "" && s.aliasHolder(alias, nil) != nil {
		proxyError(w, http.StatusBadRequest, "bad_request_error", "key_alias",
			fmt.Sprintf("Key with alias '%s' already exists. Unique key aliases across all keys are required.", alias))
		return
	}
	if value != "" && !strings.HasPrefix(value, "sk-") {
		proxyError(w, http.StatusBadRequest, "bad_request_error", "None", "{'error': \"Invalid key format. LiteLLM Virtual Key must start with 'sk-'.\"}")
		return
	}
	k := &Key{Value: value, Alias: alias, Models: stringList(body["models"]), Metadata: metadata(body["metadata"])}
	if s.find(value) == nil {
		s.keys = append(s.keys, k)
	} // else: LiteLLM's insert ignores the duplicate and still answers 200 (#20494)
	reply(w, map[string]any{"key": value, "key_alias": alias, "models": k.Models, "metadata": k.Metadata, "token": "hashed"})
}

func (s *Stub) update(w http.ResponseWriter, body map[string]any) {
	value, _ := body["key"].(string)
	k := s.find(value)
	if k == nil {
		proxyError(w, http.StatusNotFound, "auth_error", "None", "{'error': 'Team not found, passed team_id=None'}")
		return
	}
	if alias, ok := body["key_alias"].(string); ok {
		if s.aliasHolder(alias, k) != nil {
			proxyError(w, http.StatusBadRequest, "bad_request_error", "key_alias",
				fmt.Sprintf("Key with alias '%s' already exists. Unique key aliases across all keys are required.", alias))
			return
		}
		k.Alias = alias
	}
	if _, ok := body["models"]; ok {
		k.Models = stringList(body["models"])
	}
	if _, ok := body["metadata"]; ok {
		k.Metadata = metadata(body["metadata"]) // replaces, as LiteLLM does
	}
	reply(w, map[string]any{"key": value, "key_alias": k.Alias, "models": k.Models, "metadata": k.Metadata})
}

func (s *Stub) delete(w http.ResponseWriter, body map[string]any) {
	aliases := stringList(body["key_aliases"])
	var kept []*Key
	var deleted []string
	for _, k := range s.keys {
		hit := false
		for _, a := range aliases {
			if k.Alias == a {
				hit = true
			}
		}
		if hit {
			deleted = append(deleted, k.Alias)
		} else {
			kept = append(kept, k)
		}
	}
	if len(deleted) == 0 {
		proxyError(w, http.StatusNotFound, "not_found_error", "None", "{'error': 'No keys found'}")
		return
	}
	s.keys = kept
	reply(w, map[string]any{"deleted_keys": deleted})
}
