package tests

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cloud-codex/codexauth"
)

// requireNode skips a running-system test when the cluster was asked to run without its node
// (CLUSTER_NODE=0, chosen explicitly: scripts/test.sh refuses to pick it silently).
func requireNode(t *testing.T) {
	t.Helper()
	if os.Getenv("CLUSTER_NODE") == "0" {
		t.Skip("CLUSTER_NODE=0: the embedded cluster has no node, so no pod runs; this running-system test needs it (run make test as root)")
	}
}

// openAIStandin is tests/standin/chatgpt running on the node's address, where pods reach it:
// the ChatGPT backend LiteLLM calls and the token endpoint the rotator refreshes against.
type openAIStandin struct {
	url string
}

func startOpenAIStandin(t *testing.T) openAIStandin {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chatgpt-standin")
	build := exec.Command("go", "build", "-o", bin, "./tests/standin/chatgpt")
	build.Dir = rootDir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the ChatGPT stand-in: %s", out)

	nodeIP := os.Getenv("CLUSTER_NODE_IP")
	require.NotEmpty(t, nodeIP, "scripts/env.sh exports CLUSTER_NODE_IP")
	cmd := exec.Command(bin, "--listen", nodeIP+":0", "--reply", "hello from the stand-in")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ChatGPT stand-in log:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the stand-in's first line: %s", stderr.String())
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "chatgpt-standin: listening on ")
	require.True(t, ok, "unexpected first line %q", line)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return openAIStandin{url: url}
}

// standinRecord is one request the ChatGPT stand-in saw (tests/standin/chatgpt, GET /_records).
type standinRecord struct {
	AccessToken string `json:"access_token"`
	AccountID   string `json:"chatgpt_account_id"`
	Model       string `json:"model"`
	Status      int    `json:"status"`
	Raw         json.RawMessage
}

func (o openAIStandin) records(t *testing.T) ([]standinRecord, string) {
	t.Helper()
	resp, err := http.Get(o.url + "/_records")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var recs []standinRecord
	require.NoError(t, json.Unmarshal(raw, &recs))
	return recs, string(raw)
}

// armRateLimit makes the stand-in answer the next calls made with this access token with
// ChatGPT's 429 usage_limit_reached, as the subscription does when an account is used up.
func (o openAIStandin) armRateLimit(t *testing.T, accessToken string, times int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"status": 429, "access_token": accessToken, "times": times})
	resp, err := http.Post(o.url+"/_faults", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	require.Less(t, resp.StatusCode, 300, "arming the fault: %s", msg)
}

// codexLogin is a codex-shaped auth.json (what `codex login --device-auth` writes) for a
// stand-in account: JWTs with the account claim, a refresh token the token-endpoint stand-in
// knows (rt-<account>-...), access tokens valid for days so nothing refreshes unasked.
func codexLogin(t *testing.T, account string) (authJSON []byte, accessToken string) {
	t.Helper()
	exp := time.Now().Add(5 * 24 * time.Hour)
	jwt := func(kind string) string {
		enc := func(v any) string {
			b, _ := json.Marshal(v)
			return base64.RawURLEncoding.EncodeToString(b)
		}
		return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(map[string]any{
			"exp": exp.Unix(), "jti": kind + "-" + account,
			"https://api.openai.com/auth": map[string]string{"chatgpt_account_id": account},
		}) + ".standin"
	}
	auth := codexauth.NewCodexAuth(codexauth.Tokens{
		IDToken: jwt("id"), AccessToken: jwt("access"), RefreshToken: "rt-" + account + "-seed", AccountID: account,
	}, time.Now())
	data, err := json.Marshal(auth)
	require.NoError(t, err)
	return data, auth.Tokens.AccessToken
}

// kubectlIn runs kubectl with stdin, returning combined output.
func kubectlIn(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(os.Getenv("TOOLS_BIN"), "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// eventually polls check until it reports done, failing with its last word after d.
func eventually(t *testing.T, what string, d time.Duration, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for {
		ok, msg := check()
		if ok {
			return
		}
		last = msg
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s; last: %s", what, d, last)
		}
		time.Sleep(2 * time.Second)
	}
}

// podSummary is what the tests read of a pod.
type podSummary struct {
	Name, Phase string
	Ready       bool
	UID         string
	Waiting     map[string]string // container -> reason/message of a waiting or terminated-with-error state
}

func pods(t *testing.T, ns, selector string) []podSummary {
	t.Helper()
	out, err := kubectl(t, "get", "pods", "-n", ns, "-l", selector, "-o", "json")
	require.NoError(t, err)
	var list struct {
		Items []struct {
			Metadata struct {
				Name              string  `json:"name"`
				UID               string  `json:"uid"`
				DeletionTimestamp *string `json:"deletionTimestamp"`
			} `json:"metadata"`
			Status struct {
				Phase      string `json:"phase"`
				Conditions []struct {
					Type, Status string
				} `json:"conditions"`
				InitContainerStatuses []containerStatus `json:"initContainerStatuses"`
				ContainerStatuses     []containerStatus `json:"containerStatuses"`
			} `json:"status"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(out, &list))
	var res []podSummary
	for _, p := range list.Items {
		if p.Metadata.DeletionTimestamp != nil {
			continue
		}
		s := podSummary{Name: p.Metadata.Name, UID: p.Metadata.UID, Phase: p.Status.Phase, Waiting: map[string]string{}}
		for _, c := range p.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				s.Ready = true
			}
		}
		for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			if w := cs.State.Waiting; w != nil {
				s.Waiting[cs.Name] = w.Reason + ": " + w.Message
			}
			if x := cs.State.Terminated; x != nil && x.ExitCode != 0 {
				s.Waiting[cs.Name] = fmt.Sprintf("exited %d (%s): %s", x.ExitCode, x.Reason, x.Message)
			}
			if cs.RestartCount > 0 && cs.LastState.Terminated != nil {
				s.Waiting[cs.Name+" (last)"] = fmt.Sprintf("restarted %d times, last exit %d (%s)", cs.RestartCount,
					cs.LastState.Terminated.ExitCode, cs.LastState.Terminated.Reason)
			}
		}
		res = append(res, s)
	}
	return res
}

type containerStatus struct {
	Name         string `json:"name"`
	RestartCount int    `json:"restartCount"`
	State        struct {
		Waiting *struct {
			Reason, Message string
		} `json:"waiting"`
		Terminated *struct {
			ExitCode        int `json:"exitCode"`
			Reason, Message string
		} `json:"terminated"`
	} `json:"state"`
	LastState struct {
		Terminated *struct {
			ExitCode int `json:"exitCode"`
			Reason   string
		} `json:"terminated"`
	} `json:"lastState"`
}

// waitReady waits for exactly one non-terminating pod of selector to be Ready and returns it.
func waitReady(t *testing.T, ns, selector string, d time.Duration) podSummary {
	t.Helper()
	var ready podSummary
	eventually(t, "a Ready pod of "+selector, d, func() (bool, string) {
		ps := pods(t, ns, selector)
		if len(ps) == 1 && ps[0].Ready {
			ready = ps[0]
			return true, ""
		}
		return false, fmt.Sprintf("%+v", ps)
	})
	return ready
}

// containerLogs is the log of one container of a pod, for failure messages.
func containerLogs(t *testing.T, ns, pod, container string) string {
	t.Helper()
	out, err := kubectlIn(t, nil, "logs", "-n", ns, pod, "-c", container, "--tail=40")
	if err != nil {
		return err.Error()
	}
	return out
}
