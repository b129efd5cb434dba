package main

import (
	"encoding/base64"
	"encoding/json"
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

	"cloud-codex/litellmconfig"
)

const (
	testMasterKey = "sk-master-0123456789abcdef0123456789abcdef"
	testAgentKey  = "sk-agent-0123456789abcdef0123456789abcdef0123"
	testAlias     = "codex-cli/gpt-5.4"
)

// fakeJWT is an unsigned JWT with an exp and a ChatGPT account claim, as LiteLLM decodes it
// (signature never checked).
func fakeJWT(exp time.Time, account string) string {
	enc := func(v any) string {
		data, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(data)
	}
	claims := map[string]any{"exp": exp.Unix()}
	if account != "" {
		claims[authClaim] = map[string]any{"chatgpt_account_id": account}
	}
	return enc(map[string]string{"alg": "none"}) + "." + enc(claims) + ".sig"
}

// writeTokenFile writes the flat token file the way the rotator does (whole file replaced).
func writeTokenFile(t *testing.T, dir string, record map[string]any) {
	t.Helper()
	data, err := json.Marshal(record)
	require.NoError(t, err)
	tmp := filepath.Join(dir, ".auth.json.tmp")
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, "auth.json")))
}

// validToken is a flat record for account acct with an hour left.
func validToken(access, acct string) map[string]any {
	exp := time.Now().Add(time.Hour)
	return map[string]any{"access_token": access, "refresh_token": "rt-" + acct, "id_token": fakeJWT(exp, acct),
		"expires_at": exp.Unix(), "account_id": acct}
}

// poolConfig is config.yaml as the LiteLLMAuthPool renders it (components/authpool.go,
// authPoolLiteLLMConfig), through the same typed model.
func poolConfig(t *testing.T, dir string) string {
	t.Helper()
	yaml, err := litellmconfig.Render(litellmconfig.Config{
		ModelList:       []litellmconfig.Model{{ModelName: testAlias, LiteLLMParams: litellmconfig.LiteLLMParams{Model: "chatgpt/gpt-5.4"}}},
		RouterSettings:  litellmconfig.RouterSettings{NumRetries: 2},
		LiteLLMSettings: litellmconfig.LiteLLMSettings{DropParams: true, Callbacks: []string{"generic_api"}},
		GeneralSettings: litellmconfig.GeneralSettings{
			MasterKey: litellmconfig.EnvRef("LITELLM_MASTER_KEY"), DatabaseURL: litellmconfig.EnvRef("DATABASE_URL"),
		},
	})
	require.NoError(t, err)
	path := filepath.Join(dir, litellmconfig.FileName)
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
}

// eventSink stands in for the rotator's listener: it keeps every POSTed body.
type eventSink struct {
	mu     sync.Mutex
	bodies [][]byte
	srv    *httptest.Server
}

func newEventSink(t *testing.T) *eventSink {
	s := &eventSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *eventSink) posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

// payloads decodes every POST as a JSON array and returns all elements.
func (s *eventSink) payloads(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []map[string]any
	for _, b := range s.bodies {
		var batch []map[string]any
		require.NoError(t, json.Unmarshal(b, &batch), "generic_api posts a JSON array: %s", b)
		all = append(all, batch...)
	}
	return all
}

// testEnv is one stand-in with its token directory, upstream and event sink.
type testEnv struct {
	t        *testing.T
	srv      *server
	http     *httptest.Server
	tokenDir string
	stateDir string
	env      map[string]string
	sink     *eventSink
}

// newTestEnv starts the stand-in in-process against upstream (the ChatGPT backend URL).
func newTestEnv(t *testing.T, upstream string, overrides map[string]string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	e := &testEnv{t: t, tokenDir: filepath.Join(dir, "auth"), stateDir: filepath.Join(dir, "state"), sink: newEventSink(t)}
	require.NoError(t, os.MkdirAll(e.tokenDir, 0o700))
	require.NoError(t, os.MkdirAll(e.stateDir, 0o700))
	e.env = map[string]string{
		"CHATGPT_TOKEN_DIR":         e.tokenDir,
		"CHATGPT_AUTH_FILE":         "auth.json",
		"CHATGPT_API_BASE":          upstream,
		"GENERIC_LOGGER_ENDPOINT":   e.sink.srv.URL + "/litellm-events",
		"LITELLM_MASTER_KEY":        testMasterKey,
		"DATABASE_URL":              "postgresql://litellm:pw@postgres:5432/litellm",
		"LITELLM_STANDIN_STATE_DIR": e.stateDir,
	}
	for k, v := range overrides {
		e.env[k] = v
	}
	e.start(poolConfig(t, dir))
	return e
}

func (e *testEnv) getenv(k string) string { return e.env[k] }

func (e *testEnv) start(configPath string) {
	st, err := loadSettings(configPath, e.getenv)
	require.NoError(e.t, err)
	e.srv, err = newServer(st, e.getenv)
	require.NoError(e.t, err)
	e.http = httptest.NewServer(e.srv.routes())
	e.t.Cleanup(e.http.Close)
}

// flushEvents sends what the callback has queued (the real one flushes every 5 s).
func (e *testEnv) flushEvents() {
	require.NotNil(e.t, e.srv.logger)
	e.srv.logger.flush(e.t.Context())
}

// do sends a request with a bearer key and returns the status and body.
func (e *testEnv) do(method, path, key, body string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, string(data)
}

// errorMessage extracts error.message from a LiteLLM error answer.
func errorMessage(t *testing.T, body string) (message, typ string) {
	t.Helper()
	var parsed struct {
		Error proxyError `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &parsed), body)
	return parsed.Error.Message, parsed.Error.Type
}
