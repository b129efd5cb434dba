// Package standin_test runs the two stand-ins as the processes the auth pool would run, and
// drives them with the real key registrar and the real codex CLI.
package standin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
	"cloud-codex/internal/testsupport"
	"cloud-codex/keyregistrar"
	"cloud-codex/litellmconfig"
)

// codexVersion is the pinned codex CLI (components.DefaultCodexVersion; not imported, to keep
// this test free of the Pulumi SDK).
const codexVersion = "0.171.0"

const (
	alias     = "codex-cli/gpt-5.4"
	masterKey = "sk-master-chain-0123456789abcdef0123456789abcdef"
	agentKey  = "sk-agent-chain-0123456789abcdef0123456789abcdef0123"
)

// buildStandins compiles both stand-ins as the image would hold them: static binaries.
func buildStandins(t *testing.T) (litellm, chatgpt string) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"litellm", "chatgpt"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./"+name)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go build ./%s:\n%s", name, out)
	}
	return filepath.Join(dir, "litellm"), filepath.Join(dir, "chatgpt")
}

// lockedBuffer collects a process's output for the failure message.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProcess runs bin and stops it with SIGTERM when the test ends.
func startProcess(t *testing.T, bin string, args, env []string, stdout io.Writer) *lockedBuffer {
	t.Helper()
	stderr := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), stderr.String())
		}
	})
	return stderr
}

// startChatGPT starts the ChatGPT stand-in on a loopback port and returns its URL.
func startChatGPT(t *testing.T, bin, records string) string {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	startProcess(t, bin, []string{"--listen", "127.0.0.1:0", "--records", records}, nil, pw)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "chatgpt-standin: listening on "); ok {
				lines <- u
			}
		}
	}()
	select {
	case u := <-lines:
		return u
	case <-time.After(20 * time.Second):
		t.Fatal("the ChatGPT stand-in did not start")
		return ""
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func fakeJWT(exp time.Time, account string) string {
	enc := func(v any) string { data, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(data) }
	return enc(map[string]string{"alg": "none"}) + "." +
		enc(map[string]any{"exp": exp.Unix(), "https://api.openai.com/auth": map[string]string{"chatgpt_account_id": account}}) + ".sig"
}

// writeFlat writes auth.json as the rotator does: a whole new file renamed into place.
func writeFlat(t *testing.T, dir string, record map[string]any) {
	t.Helper()
	data, err := json.Marshal(record)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".auth.json.tmp"), data, 0o600))
	require.NoError(t, os.Rename(filepath.Join(dir, ".auth.json.tmp"), filepath.Join(dir, "auth.json")))
}

// writeFlatToken writes account's flat record with a fresh access token and returns it.
func writeFlatToken(t *testing.T, dir, account string) string {
	t.Helper()
	exp := time.Now().Add(time.Hour)
	access := fakeJWT(exp, account)
	writeFlat(t, dir, map[string]any{"access_token": access, "refresh_token": "rt-" + account,
		"id_token": fakeJWT(exp, account), "expires_at": exp.Unix(), "account_id": account})
	return access
}

type chatgptRecord struct {
	AccessToken string `json:"access_token"`
	AccountID   string `json:"chatgpt_account_id"`
	Model       string `json:"model"`
	Status      int    `json:"status"`
}

func records(t *testing.T, path string) ([]chatgptRecord, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var recs []chatgptRecord
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var r chatgptRecord
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		recs = append(recs, r)
	}
	return recs, string(data)
}

// runCodex runs the real codex CLI with the agent's rendered config.toml and key.
func runCodex(t *testing.T, codex, baseURL, key, prompt string) (string, error) {
	t.Helper()
	home := t.TempDir()
	rendered, err := codexconfig.Render(codexconfig.ForLiteLLM(alias, baseURL, nil))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(home, codexconfig.FileName), []byte(rendered), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, codex, "--strict-config", "exec", "--skip-git-repo-check", prompt)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "CODEX_HOME="+home, "HOME="+t.TempDir(), contract.LiteLLMAPIKeyEnv+"="+key)
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "codex did not finish:\n%s", out)
	return string(out), err
}

// The chain an agent's model call takes in the pool, with both ends replaced by stand-ins:
// codex (real) -> LiteLLM stand-in -> ChatGPT stand-in. The key is registered by the real
// key registrar; ChatGPT must see the pool's access token and account, and never the
// agent's key; the generic_api callback must report the call; replacing the token file
// switches the account for the next call.
func TestRealCodexThroughTheStandins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both stand-ins and runs the real codex CLI")
	}
	codex := testsupport.CodexCLI(t, codexVersion)
	litellmBin, chatgptBin := buildStandins(t)
	dir := t.TempDir()
	tokenDir, stateDir := filepath.Join(dir, "chatgpt-auth"), filepath.Join(dir, "state")
	require.NoError(t, os.MkdirAll(tokenDir, 0o700))
	require.NoError(t, os.MkdirAll(stateDir, 0o700))
	recordsPath := filepath.Join(dir, "chatgpt-records.jsonl")
	chatgptURL := startChatGPT(t, chatgptBin, recordsPath)

	var eventsMu sync.Mutex
	var events []map[string]any
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var batch []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		eventsMu.Lock()
		events = append(events, batch...)
		eventsMu.Unlock()
	}))
	defer sink.Close()

	// config.yaml as the pool renders it (components/authpool.go, authPoolLiteLLMConfig).
	yaml, err := litellmconfig.Render(litellmconfig.Config{
		ModelList:       []litellmconfig.Model{{ModelName: alias, LiteLLMParams: litellmconfig.LiteLLMParams{Model: "chatgpt/gpt-5.4"}}},
		RouterSettings:  litellmconfig.RouterSettings{NumRetries: 2},
		LiteLLMSettings: litellmconfig.LiteLLMSettings{DropParams: true, Callbacks: []string{"generic_api"}},
		GeneralSettings: litellmconfig.GeneralSettings{MasterKey: litellmconfig.EnvRef("LITELLM_MASTER_KEY"), DatabaseURL: litellmconfig.EnvRef("DATABASE_URL")},
	})
	require.NoError(t, err)
	configPath := filepath.Join(dir, litellmconfig.FileName)
	require.NoError(t, os.WriteFile(configPath, []byte(yaml), 0o444))

	token1 := writeFlatToken(t, tokenDir, "acct-pool-1")
	port := freePort(t)
	litellmLog := startProcess(t, litellmBin,
		// The pool's container args (components/authpool_deployment.go).
		[]string{"--config", configPath, "--port", strconv.Itoa(port), "--num_workers", "1"},
		[]string{
			"HOST=127.0.0.1", // the test listens on loopback; the pod uses the default 0.0.0.0
			"CHATGPT_TOKEN_DIR=" + tokenDir,
			"CHATGPT_AUTH_FILE=auth.json",
			"CHATGPT_API_BASE=" + chatgptURL,
			"GENERIC_LOGGER_ENDPOINT=" + sink.URL + "/litellm-events",
			"LITELLM_MASTER_KEY=" + masterKey,
			"LITELLM_SALT_KEY=sk-salt-chain-0123456789abcdef",
			"DATABASE_URL=postgresql://litellm:pw@127.0.0.1:1/litellm",
			"LITELLM_STANDIN_STATE_DIR=" + stateDir,
			"DEFAULT_FLUSH_INTERVAL_SECONDS=1",
		}, io.Discard)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	// The key registrar waits for /health/readiness, then registers the agent's key.
	var regLog bytes.Buffer
	out, err := keyregistrar.Register(context.Background(), keyregistrar.Config{
		URL: base + "/v1", MasterKey: masterKey, Key: agentKey, Alias: "cloud-codex-chain",
		Models: []string{alias}, ReadyTimeout: 30 * time.Second, ReadyInterval: 100 * time.Millisecond, Log: &regLog,
	})
	require.NoError(t, err, "registrar:\n%s\nlitellm:\n%s", regLog.String(), litellmLog.String())
	require.Equal(t, keyregistrar.Created, out)

	output, err := runCodex(t, codex, base+"/v1", agentKey, "say hello")
	require.NoError(t, err, "codex:\n%s\nlitellm:\n%s", output, litellmLog.String())
	require.Contains(t, output, "Hello from the ChatGPT stand-in. [model gpt-5.4, account acct-pool-1]", "codex printed the stand-in's answer")

	recs, raw := records(t, recordsPath)
	require.NotEmpty(t, recs)
	for _, r := range recs {
		require.Equal(t, chatgptRecord{AccessToken: token1, AccountID: "acct-pool-1", Model: "gpt-5.4", Status: 200}, r)
	}
	require.NotContains(t, raw, agentKey, "the agent's key reached ChatGPT")
	require.NotContains(t, raw, masterKey)

	// The rotator switches accounts by replacing the file; the next call uses the new one.
	token2 := writeFlatToken(t, tokenDir, "acct-pool-2")
	output, err = runCodex(t, codex, base+"/v1", agentKey, "say hello again")
	require.NoError(t, err, "codex:\n%s", output)
	require.Contains(t, output, "account acct-pool-2")
	recs, _ = records(t, recordsPath)
	last := recs[len(recs)-1]
	require.Equal(t, token2, last.AccessToken)
	require.Equal(t, "acct-pool-2", last.AccountID)

	call := func() (int, string) {
		req, _ := http.NewRequest("POST", base+"/v1/responses", strings.NewReader(`{"model":"`+alias+`","input":"hi","stream":true}`))
		req.Header.Set("Authorization", "Bearer "+agentKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	// The rotator's fail-fast file (rotator/litellm.go, failFastFile): LiteLLM serves its
	// access token without refreshing, ChatGPT refuses it, and the call fails at once with
	// an authentication error instead of a device login.
	writeFlat(t, tokenDir, map[string]any{"access_token": "no-usable-chatgpt-account", "refresh_token": "", "id_token": "",
		"expires_at": 4102444800, "account_id": "no-usable-chatgpt-account",
		"codex_auth_rotator": map[string]any{"no_usable_account": "test", "since": time.Now().UTC(), "action": "auth-login"}})
	status, body := call()
	require.Equal(t, http.StatusUnauthorized, status, body)
	require.Contains(t, body, "litellm.AuthenticationError")
	recs, _ = records(t, recordsPath)
	last = recs[len(recs)-1]
	require.Equal(t, chatgptRecord{AccessToken: "no-usable-chatgpt-account", AccountID: "no-usable-chatgpt-account", Model: "gpt-5.4", Status: 401}, last)

	// Without a token file the real LiteLLM would start a device login inside the request;
	// the stand-in refuses and ChatGPT sees nothing.
	require.NoError(t, os.Remove(filepath.Join(tokenDir, "auth.json")))
	n := len(recs)
	status, body = call()
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, body, "litellm_standin_device_login_required")
	recs, _ = records(t, recordsPath)
	require.Len(t, recs, n)

	// generic_api: the calls were reported (flushed every second here).
	require.Eventually(t, func() bool {
		eventsMu.Lock()
		defer eventsMu.Unlock()
		var ok, failed bool
		for _, e := range events {
			meta, _ := e["metadata"].(map[string]any)
			if e["custom_llm_provider"] != "chatgpt" || meta["user_api_key_alias"] != "cloud-codex-chain" {
				continue
			}
			ok = ok || e["status"] == "success"
			failed = failed || e["status"] == "failure"
		}
		return ok && failed
	}, 10*time.Second, 100*time.Millisecond, "the generic_api callback reported a success and the failure")

	// Only the routes codex, the registrar and this test use were hit: nothing codex asked
	// for went unanswered.
	require.NotContains(t, litellmLog.String(), " 404 (", "litellm log:\n%s", litellmLog.String())
	t.Logf("LiteLLM stand-in log:\n%s", litellmLog.String())
}
