package main

import (
	"fmt"
	"log"
	"net/http"
	"path/filepath"
	"sort"
	"time"
)

// server is the stand-in's state.
type server struct {
	settings settings
	tokens   tokenSource
	keys     *keyStore
	logger   *genericAPILogger // nil: no generic_api callback configured
	apiBase  string
	upstream *http.Client
	getenv   func(string) string
}

// newServer wires the stand-in from the loaded config and the environment.
func newServer(st settings, getenv func(string) string) (*server, error) {
	tokens, err := newTokenSource(getenv)
	if err != nil {
		return nil, err
	}
	// Authenticator.get_api_base: CHATGPT_API_BASE, else OPENAI_CHATGPT_API_BASE, else
	// chatgpt.com. The stand-in requires one of the variables: it exists to run against the
	// ChatGPT stand-in (tests/standin/chatgpt), and must never send a test's tokens to
	// chatgpt.com because a variable was forgotten.
	apiBase := getenv("CHATGPT_API_BASE")
	if apiBase == "" {
		apiBase = getenv("OPENAI_CHATGPT_API_BASE")
	}
	if apiBase == "" {
		return nil, fmt.Errorf("CHATGPT_API_BASE is not set: the real LiteLLM would call %s; the stand-in refuses to guess "+
			"(point it at the ChatGPT stand-in, e.g. http://<chatgpt-standin>:<port>)", defaultAPIBase)
	}
	var keys *keyStore
	if st.databaseURL == "" {
		keys, err = newKeyStore("")
	} else {
		// The real proxy keeps keys in its database, so they survive a restart of the pod.
		// The stand-in's nearest equivalent is a file on the volume it already writes:
		// $CHATGPT_TOKEN_DIR/.litellm-standin unless LITELLM_STANDIN_STATE_DIR says otherwise
		// (the rotator ignores subdirectories of the auth dir, rotator/recover.go).
		dir := getenv("LITELLM_STANDIN_STATE_DIR")
		if dir == "" {
			dir = filepath.Join(filepath.Dir(tokens.path), ".litellm-standin")
		}
		keys, err = newKeyStore(dir)
	}
	if err != nil {
		return nil, err
	}
	s := &server{
		settings: st, tokens: tokens, keys: keys, apiBase: apiBase, getenv: getenv,
		// No overall timeout: a codex turn streams for minutes. The request's context ends
		// the upstream call when the client goes away.
		upstream: &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ResponseHeaderTimeout: 10 * time.Minute,
			IdleConnTimeout:       90 * time.Second,
		}},
	}
	if st.genericAPI {
		if s.logger, err = newGenericAPILogger(getenv); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	// proxy_server.py serves the Responses API at /v1/responses and /responses.
	mux.HandleFunc("POST /v1/responses", s.handleResponses)
	mux.HandleFunc("POST /responses", s.handleResponses)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /models", s.handleModels)
	// The key API is served at the root only (not under /v1): key_management_endpoints.py.
	mux.HandleFunc("POST /key/generate", s.handleKeyGenerate)
	mux.HandleFunc("POST /key/update", s.handleKeyUpdate)
	mux.HandleFunc("POST /key/delete", s.handleKeyDelete)
	mux.HandleFunc("GET /key/info", s.handleKeyInfo)
	// litellm/proxy/health_endpoints/_health_endpoints.py: liveliness/liveness answer
	// "I'm alive!"; readiness answers {"status": "healthy", "db": …, …}. Both are public
	// routes (no key), which is why the pool's probes use them.
	mux.HandleFunc("GET /health/liveliness", s.handleLiveness)
	mux.HandleFunc("GET /health/liveness", s.handleLiveness)
	mux.HandleFunc("GET /health/readiness", s.handleReadiness)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		// The real /health needs a key and calls every model (it spends subscription quota);
		// the pool never probes it.
		writeProxyError(w, http.StatusNotImplemented, "LiteLLM stand-in: /health (which calls every model) is not implemented; probe /health/liveliness or /health/readiness", errInternal, nil)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// FastAPI's answer for an unknown route.
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	})
	return logRequests(mux)
}

func (s *server) handleLiveness(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "I'm alive! (cloud-codex LiteLLM stand-in, not LiteLLM)")
}

func (s *server) handleReadiness(w http.ResponseWriter, _ *http.Request) {
	db := "Not connected"
	if s.settings.databaseURL != "" {
		db = "connected (stand-in: DATABASE_URL is not used; keys are kept " + s.keys.describe() + ")"
	}
	var callbacks []string
	if s.logger != nil {
		callbacks = append(callbacks, "GenericAPILogger")
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":            "healthy",
		"db":                db,
		"cache":             nil,
		"litellm_version":   "stand-in",
		"success_callbacks": callbacks,
		"litellm_standin":   "cloud-codex LiteLLM stand-in (tests/standin/litellm), not LiteLLM",
	})
}

// handleModels is /v1/models: the model_names the caller's key may call, in the OpenAI list
// format (proxy_server.py model_list).
func (s *server) handleModels(w http.ResponseWriter, r *http.Request) {
	p, aerr := s.authenticate(r)
	if aerr != nil {
		aerr.write(w)
		return
	}
	var data []map[string]any
	for _, alias := range s.settings.aliases {
		if p.master || canCall(p.key.Models, alias) {
			data = append(data, map[string]any{"id": alias, "object": "model", "created": 1677610602, "owned_by": "openai"})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "object": "list"})
}

// statusWriter records the status for the access log and keeps http.Flusher working for
// the SSE relay.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one access-log line per request, as uvicorn does (without the query:
// /key/info carries the key in it).
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		log.Printf("litellm-standin: %s %s %d (%s)", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Millisecond))
	})
}

// startupSummary is logged once at start: what is served and what is not.
func (s *server) startupSummary() []string {
	aliases := make([]string, 0, len(s.settings.models))
	for a, m := range s.settings.models {
		aliases = append(aliases, a+" -> "+m)
	}
	sort.Strings(aliases)
	lines := []string{
		"this is the cloud-codex LiteLLM STAND-IN (tests/standin/litellm), not LiteLLM",
		fmt.Sprintf("models: %v", aliases),
		"ChatGPT token file, read on every request: " + s.tokens.path,
		"ChatGPT API base: " + s.apiBase,
	}
	if s.settings.databaseURL == "" {
		lines = append(lines, "DATABASE_URL not set: as in LiteLLM, /key/* fail and only the master key is accepted")
	} else {
		lines = append(lines, "virtual keys: "+s.keys.describe()+" (DATABASE_URL is not used by the stand-in)")
	}
	if s.logger != nil {
		lines = append(lines, fmt.Sprintf("generic_api callback: POST every %s to %s", s.logger.interval, s.logger.endpoint))
	}
	for _, ig := range s.settings.ignored {
		lines = append(lines, "not implemented, ignored: "+ig)
	}
	return lines
}
