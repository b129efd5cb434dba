package tests

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const runningNamespace = "cc-e2e-running"

// codexExec runs the codex the agent's install-tools step put on its volume (the boot script
// finds it the same way), in the agent container's own environment (LITELLM_API_KEY,
// CODEX_HOME), from a writable directory.
const codexExec = `cd /tmp && c=$(ls /state/.tools/codex-*/node_modules/.bin/codex | head -1) && exec "$c" exec --skip-git-repo-check `

// The pool's LiteLLM stand-in image (tests/standin/litellm, built by scripts/images.sh):
// LiteLLM itself cannot be installed here. Selected through the ordinary litellm.image setting.
const liteLLMStandinImage = "cloud-codex.local/litellm-standin:dev"

func runningConfig(openai openAIStandin, npmRegistryRules []map[string]any) map[string]string {
	cluster, _ := json.Marshal(map[string]any{"kubeconfig": kubeconfig, "skipAwait": true})
	litellm, _ := json.Marshal(map[string]any{
		"image":    liteLLMStandinImage,
		"accounts": map[string]any{"inRotation": []int{1, 2}},
		"database": map[string]any{"inCluster": map[string]any{}},
		// OpenAI's side, played by the stand-in on the node's address.
		"upstream": map[string]any{"chatgptApiBase": openai.url, "oauthTokenUrl": openai.url + "/oauth/token"},
	})
	// The node enforces NetworkPolicy: the agent's install-tools step reaches npm only
	// through the egress rule an operator writes for it (README, the agents' egress policy).
	egress, _ := json.Marshal(map[string]any{"npmRegistry": npmRegistryRules})
	return map[string]string{
		"cloud-codex:namespace": runningNamespace,
		"cloud-codex:cluster":   string(cluster),
		"cloud-codex:litellm":   string(litellm),
		"cloud-codex:egress":    string(egress),
		"cloud-codex:agents":    `[{"name": "cody", "registry": {"apiUrl": "https://api.commonly.example", "podId": "pod-e2e"}}]`,
	}
}

// addressRules resolves a host on this machine (the node's CoreDNS forwards to the same
// resolver) into one /32 egress rule per IPv4 address: NetworkPolicy cannot name a host.
func addressRules(t *testing.T, host string) []map[string]any {
	t.Helper()
	ips, err := net.LookupIP(host)
	require.NoError(t, err, "resolving %s", host)
	var rules []map[string]any
	for _, ip := range ips {
		if ip.To4() != nil {
			rules = append(rules, map[string]any{"cidr": ip.String() + "/32"})
		}
	}
	require.NotEmpty(t, rules, "%s has no IPv4 address: %v", host, ips)
	return rules
}

// The acceptance test of the system this project replaces, on a real node: the stack comes
// up, the pool takes its accounts through the documented import, the agent's key Job
// registers its key, and the agent's codex answers through LiteLLM with the pool's ChatGPT
// token, never holding one itself; the rotator hands over in the running pod; pods deleted
// come back with their volumes; a second up changes nothing.
func TestRunningSystem(t *testing.T) {
	requireNode(t)
	deleteNamespace(t, runningNamespace)
	t.Cleanup(func() {
		if t.Failed() {
			dumpNamespace(t, runningNamespace)
		}
		deleteNamespace(t, runningNamespace)
	})
	openai := startOpenAIStandin(t)
	npmRules := addressRules(t, npmRegistryHost(t))
	stack := newStack(t, rootDir, "e2e-running", runningConfig(openai, npmRules))
	ctx, cancel := timeout(40 * time.Minute)
	defer cancel()

	out := &logWriter{t: t}
	_, err := stack.Up(ctx, optup.PolicyPacks(policyPack), optup.ProgressStreams(out))
	if err != nil {
		out.dump()
	}
	require.NoError(t, err)
	require.NotContains(t, out.String(), "would violate PodSecurity", "every workload passes Pod Security restricted")

	const (
		poolSel     = "app.kubernetes.io/name=litellm"
		agentSel    = "app.kubernetes.io/name=cloud-codex-agent,app.kubernetes.io/instance=cody"
		postgresSel = "app.kubernetes.io/name=postgres,app.kubernetes.io/instance=litellm"
	)

	t.Run("the operator creates the agent's platform token Secret from stdin", func(t *testing.T) {
		// As the outputs' command does (docs/runbooks/add-an-agent.md): never --from-literal.
		out, err := kubectlIn(t, []byte("platform-runtime-token-e2e"), "create", "secret", "generic", "-n", runningNamespace,
			"cloud-codex-cody-token", "--from-file=token=/dev/stdin")
		require.NoError(t, err, out)
	})

	t.Run("the dev database runs", func(t *testing.T) { waitReady(t, runningNamespace, postgresSel, 10*time.Minute) })

	t.Run("the pool waits in seed for its first account, with the auth-login command", func(t *testing.T) {
		eventually(t, "seed waiting", 15*time.Minute, func() (bool, string) {
			ps := pods(t, runningNamespace, poolSel)
			if len(ps) != 1 {
				return false, fmt.Sprintf("%+v", ps)
			}
			logs := containerLogs(t, runningNamespace, ps[0].Name, "seed")
			return strings.Contains(logs, "auth-login 1"), fmt.Sprintf("%+v\nseed log: %s", ps, logs)
		})
	})

	login1, access1 := codexLogin(t, "acct-1")
	login2, access2 := codexLogin(t, "acct-2")
	t.Run("accounts are imported with the rotator's documented import", func(t *testing.T) {
		for n, login := range map[int][]byte{1: login1, 2: login2} {
			out, err := kubectlIn(t, login, "exec", "-i", "-n", runningNamespace, "deploy/litellm", "-c", "codex-cli", "--",
				"sh", "-c", `exec "$ROTATOR_BIN" import --dir "$AUTH_POOL_DIR" --accounts "$AUTH_POOL_ACCOUNTS" `+fmt.Sprint(n)+` --from -`)
			require.NoError(t, err, out)
		}
	})

	var poolPod podSummary
	t.Run("the pool becomes Ready", func(t *testing.T) { poolPod = waitReady(t, runningNamespace, poolSel, 10*time.Minute) })

	t.Run("the agent's key registration Job completes (the next step shows LiteLLM takes the key for the agent's model)", func(t *testing.T) {
		eventually(t, "key registration Job complete", 10*time.Minute, func() (bool, string) {
			out, err := kubectl(t, "get", "job", "-n", runningNamespace, "-l", "app.kubernetes.io/name=cloud-codex-key-registrar,app.kubernetes.io/instance=cody",
				"-o", `jsonpath={.items[*].status.succeeded}`)
			return err == nil && strings.TrimSpace(string(out)) == "1", string(out)
		})
	})

	var agentPod podSummary
	t.Run("the agent becomes Ready", func(t *testing.T) { agentPod = waitReady(t, runningNamespace, agentSel, 15*time.Minute) })

	t.Run("LiteLLM holds the agent's key with its allowlist and refuses a model outside it", func(t *testing.T) {
		// Asked from the agent's container through the Service name, as codex asks. The master
		// key reaches /key/info on stdin, never in a command line.
		master := string(secretValue(t, runningNamespace, "litellm-master-key", "LITELLM_MASTER_KEY"))
		out, err := kubectlIn(t, []byte(master), "exec", "-i", "-n", runningNamespace, "deploy/cloud-codex-cody", "-c", "agent", "--",
			"node", "-e", `const master=require("fs").readFileSync(0,"utf8").trim();`+
				`const base="http://litellm.`+runningNamespace+`.svc.cluster.local:4000";const key=process.env.LITELLM_API_KEY;`+
				`(async()=>{const info=await fetch(base+"/key/info?key="+encodeURIComponent(key),{headers:{Authorization:"Bearer "+master}});`+
				`const other=await fetch(base+"/v1/responses",{method:"POST",headers:{Authorization:"Bearer "+key,"Content-Type":"application/json"},`+
				`body:JSON.stringify({model:"not-in-the-allowlist",input:"hi"})});`+
				`console.log(JSON.stringify({infoStatus:info.status,info:await info.json(),otherStatus:other.status}))})()`+
				`.catch(e=>{console.log("ERROR "+e);process.exit(1)})`)
		require.NoError(t, err, out)
		var got struct {
			InfoStatus int `json:"infoStatus"`
			Info       struct {
				Info struct {
					Models []string `json:"models"`
				} `json:"info"`
			} `json:"info"`
			OtherStatus int `json:"otherStatus"`
		}
		require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out)), &got), out)
		require.Equal(t, 200, got.InfoStatus, out)
		require.Equal(t, []string{"codex-cli/gpt-5.4"}, got.Info.Info.Models, "the key's allowlist is the agent's model")
		require.Contains(t, []int{401, 403}, got.OtherStatus, "a model outside the allowlist is refused: %s", out)
	})

	t.Run("the agents' egress policy selects the running agent, not the pool, and opens DNS, LiteLLM and the npm registry only", func(t *testing.T) {
		// What the admitted policy means for the pods that run; what the node does with it
		// is the next two steps.
		pol := getJSON(t, runningNamespace, "networkpolicy", "cloud-codex-agent-egress")
		require.Equal(t, []any{"Egress"}, dig(pol, "spec", "policyTypes"), "default-deny egress")
		var selected []string
		for _, p := range pods(t, runningNamespace, labelSelector(t, dig(pol, "spec", "podSelector", "matchLabels"))) {
			selected = append(selected, p.Name)
		}
		require.Contains(t, selected, agentPod.Name)
		require.NotContains(t, selected, poolPod.Name)
		for _, name := range selected {
			require.True(t, strings.HasPrefix(name, "cloud-codex-cody-"), "only the agent's pods (and its key Job's): %v", selected)
		}
		rules, _ := dig(pol, "spec", "egress").([]any)
		require.Len(t, rules, 3, "DNS, LiteLLM and the npm registry, nothing else: %v", rules)
		var sawDNS, sawLiteLLM, sawNpm bool
		for _, r := range rules {
			switch dig(r, "ports", 0, "port") {
			case float64(53):
				sawDNS = len(dig(r, "ports").([]any)) == 2
			case float64(443):
				var cidrs []any
				for _, want := range npmRules {
					cidrs = append(cidrs, want["cidr"])
				}
				var got []any
				for i := range dig(r, "to").([]any) {
					got = append(got, dig(r, "to", i, "ipBlock", "cidr"))
				}
				sawNpm = assert.ElementsMatch(t, cidrs, got, "the npm registry rule")
			case float64(4000):
				var to []string
				for _, p := range pods(t, runningNamespace, labelSelector(t, dig(r, "to", 0, "podSelector", "matchLabels"))) {
					to = append(to, p.Name)
				}
				sawLiteLLM = len(to) == 1 && to[0] == poolPod.Name
			}
		}
		require.True(t, sawDNS, "port 53 over UDP and TCP is open: %v", rules)
		require.True(t, sawLiteLLM, "port 4000 is open to exactly the pool's pod: %v", rules)
		require.True(t, sawNpm, "port 443 is open to the npm registry's addresses: %v", rules)
	})

	t.Run("the node enforces the policies: an agent reaches neither the dev database nor a port its egress does not open", func(t *testing.T) {
		// The agent's egress opens the npm registry's addresses on 443 only. Port 80 of the
		// same address answers the pool (whose egress is open): the same connection from the
		// agent is refused by its policy, not by the network. The dev database admits only
		// the pool (its ingress policy), and the agent's egress does not list it either.
		registry := strings.TrimSuffix(npmRules[0]["cidr"].(string), "/32")
		require.Contains(t, connectFrom(t, "deploy/litellm", "codex-cli", registry, 80), "CONNECTED",
			"the pool (no egress policy) reaches %s:80: the probe's destination is up", registry)
		require.Contains(t, connectFrom(t, "deploy/cloud-codex-cody", "agent", registry, 443), "CONNECTED",
			"the agent's egress opens %s:443", registry)
		require.Contains(t, connectFrom(t, "deploy/cloud-codex-cody", "agent", registry, 80), "BLOCKED",
			"the agent's egress does not open %s:80", registry)
		db := connectFrom(t, "deploy/cloud-codex-cody", "agent", "litellm-postgres", 5432)
		require.NotContains(t, db, "ENOTFOUND", "the probe must reach a real Service name")
		require.Contains(t, db, "BLOCKED", "the dev database admits only the pool")
	})

	t.Run("pods cannot reach the kubelet's API (exec into the pool from an agent)", func(t *testing.T) {
		port := clusterPort(t, "KUBELET_PORT")
		nodeIP := os.Getenv("CLUSTER_NODE_IP")
		p, err := strconv.Atoi(port)
		require.NoError(t, err)
		out := connectFrom(t, "deploy/cloud-codex-cody", "agent", nodeIP, p)
		require.Contains(t, out, "BLOCKED", "an agent pod reached the kubelet on %s:%s: %s", nodeIP, port, out)
	})

	// codex exec in the agent's own container, with the agent's environment.
	ask := func(t *testing.T) string {
		t.Helper()
		out, err := kubectlIn(t, nil, "exec", "-n", runningNamespace, "deploy/cloud-codex-cody", "-c", "agent", "--",
			"sh", "-c", codexExec+`"Say hello"`)
		require.NoError(t, err, out)
		return out
	}

	t.Run("codex in the agent answers through LiteLLM with the pool's token", func(t *testing.T) {
		answer := ask(t)
		require.Contains(t, answer, "hello from the stand-in")
		recs, raw := openai.records(t)
		require.NotEmpty(t, recs)
		last := recs[len(recs)-1]
		// The seed may refresh the account before LiteLLM's first call: judge by account.
		require.Equal(t, "acct-1", last.AccountID, "ChatGPT saw the pool's active account")
		require.NotEmpty(t, last.AccessToken)
		key := agentKey(t)
		require.NotContains(t, raw, key, "the agent's virtual key never reaches ChatGPT")
	})

	t.Run("the agent pod holds no ChatGPT credential", func(t *testing.T) {
		out, err := kubectlIn(t, nil, "exec", "-n", runningNamespace, "deploy/cloud-codex-cody", "-c", "agent", "--",
			"sh", "-c", `env; find / -xdev \( -name 'auth*.json' \) -print 2>/dev/null; cat "$CODEX_HOME"/auth.json 2>/dev/null; true`)
		require.NoError(t, err, out)
		recs, _ := openai.records(t)
		tokens := []string{access1, access2, "rt-acct-1", "rt-acct-2"}
		for _, r := range recs {
			tokens = append(tokens, r.AccessToken)
		}
		for _, tok := range tokens {
			require.NotContains(t, out, tok)
		}
	})

	t.Run("the rotator hands over in the running pod and LiteLLM keeps answering", func(t *testing.T) {
		// Account 1 runs out (ChatGPT's 429 usage limit); LiteLLM reports the failure to the
		// rotator, which parks it and switches to account 2. A 429 rather than a short
		// rotation interval: the pool refuses intervals under 30 minutes (a shorter one
		// spends refresh tokens for nothing), and a switch is the same hand-over whatever
		// asks for it (the flat file rewritten, LiteLLM reading it on the next request);
		// the interval switch itself is covered by the rotator's unit tests on a fake clock
		// (rotator/flatsync_test.go, faults_test.go: 31 minutes on, account 2 is served).
		recs, _ := openai.records(t)
		openai.armRateLimit(t, recs[len(recs)-1].AccessToken, 3)
		_, _ = kubectlIn(t, nil, "exec", "-n", runningNamespace, "deploy/cloud-codex-cody", "-c", "agent", "--",
			"sh", "-c", codexExec+`"Say hello" >/dev/null 2>&1; true`)
		eventually(t, "an answer with account 2", 3*time.Minute, func() (bool, string) {
			out, err := kubectlIn(t, nil, "exec", "-n", runningNamespace, "deploy/cloud-codex-cody", "-c", "agent", "--",
				"sh", "-c", codexExec+`"Say hello" 2>&1`)
			recs, _ := openai.records(t)
			last := recs[len(recs)-1]
			return err == nil && last.AccountID == "acct-2" && strings.Contains(out, "hello from the stand-in"),
				fmt.Sprintf("last call's account %q; codex: %s", last.AccountID, out)
		})
	})

	t.Run("deleted pods come back with their volumes", func(t *testing.T) {
		_, err := kubectlIn(t, nil, "exec", "-n", runningNamespace, "deploy/cloud-codex-cody", "-c", "agent", "--",
			"sh", "-c", `echo survives > /state/e2e-marker`)
		require.NoError(t, err)
		_, err = kubectlIn(t, nil, "delete", "pod", "-n", runningNamespace, poolPod.Name, agentPod.Name, "--wait=true")
		require.NoError(t, err)
		newPool := waitReady(t, runningNamespace, poolSel, 10*time.Minute)
		newAgent := waitReady(t, runningNamespace, agentSel, 10*time.Minute)
		require.NotEqual(t, poolPod.UID, newPool.UID)
		require.NotEqual(t, agentPod.UID, newAgent.UID)
		out, err := kubectlIn(t, nil, "exec", "-n", runningNamespace, "deploy/cloud-codex-cody", "-c", "agent", "--", "cat", "/state/e2e-marker")
		require.NoError(t, err, out)
		require.Equal(t, "survives", strings.TrimSpace(out))
		out, err = kubectlIn(t, nil, "exec", "-n", runningNamespace, "deploy/litellm", "-c", "codex-cli", "--",
			"sh", "-c", `ls "$AUTH_POOL_DIR"`)
		require.NoError(t, err, out)
		require.Contains(t, out, "auth-1.json")
		require.Contains(t, out, "auth-2.json")
		require.Contains(t, ask(t), "hello from the stand-in", "LiteLLM answers after its pod came back")
	})

	t.Run("a second up changes nothing", func(t *testing.T) {
		res, err := stack.Up(ctx, optup.PolicyPacks(policyPack), optup.ExpectNoChanges())
		require.NoError(t, err)
		changes := *res.Summary.ResourceChanges
		require.Zero(t, changes["update"]+changes["create"]+changes["delete"]+changes["replace"])
	})

	t.Run("destroy leaves only what is retained on purpose", func(t *testing.T) {
		_, err := stack.Destroy(ctx, optdestroy.ProgressStreams(&logWriter{t: t}))
		require.NoError(t, err)
		eventually(t, "workloads gone", 5*time.Minute, func() (bool, string) {
			out, err := kubectl(t, "get", "deploy,statefulset,job,pod", "-n", runningNamespace, "-o", "name")
			return err == nil && strings.TrimSpace(string(out)) == "", string(out)
		})
		out, err := kubectl(t, "get", "pvc", "-n", runningNamespace, "-o", "name")
		require.NoError(t, err)
		require.Contains(t, string(out), "persistentvolumeclaim/cloud-codex-cody", "the agent's state is retained")
		require.Contains(t, string(out), "persistentvolumeclaim/litellm-chatgpt-auth", "the auth pool's claim is retained")
	})
}

// connectFrom opens a TCP connection from a container of the stack (with the node the images
// carry) and says CONNECTED, or BLOCKED with the reason (a refusal, a reset, or silence for
// 3 s: a policy's drop).
func connectFrom(t *testing.T, workload, container, host string, port int) string {
	t.Helper()
	out, _ := kubectlIn(t, nil, "exec", "-n", runningNamespace, workload, "-c", container, "--",
		"node", "-e", fmt.Sprintf(`const s=require("net").connect(%d,%q);s.setTimeout(3000);`, port, host)+
			`s.on("connect",()=>{console.log("CONNECTED");process.exit(0)});s.on("timeout",()=>{console.log("BLOCKED timeout");process.exit(0)});`+
			`s.on("error",e=>{console.log("BLOCKED "+e.code);process.exit(0)})`)
	return out
}

// npmRegistryHost is the host of the registry npm uses on this machine (npm's default
// unless configured), which the pods' npm installs reach too.
func npmRegistryHost(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("npm", "config", "get", "registry").Output()
	require.NoError(t, err, "npm config get registry")
	u, err := url.Parse(strings.TrimSpace(string(out)))
	require.NoError(t, err, "npm's registry %q", out)
	require.NotEmpty(t, u.Hostname(), "npm's registry %q", out)
	return u.Hostname()
}

// agentKey reads the agent's LiteLLM virtual key from its Secret.
func agentKey(t *testing.T) string {
	t.Helper()
	return string(secretValue(t, runningNamespace, "cloud-codex-cody-litellm-key", "key"))
}

// labelSelector turns a matchLabels map read from an object into kubectl's -l form.
func labelSelector(t *testing.T, matchLabels any) string {
	t.Helper()
	m, ok := matchLabels.(map[string]any)
	require.True(t, ok && len(m) > 0, "matchLabels %v", matchLabels)
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	return strings.Join(parts, ",")
}

// secretValue reads one non-empty key of a Secret.
func secretValue(t *testing.T, namespace, name, key string) []byte {
	t.Helper()
	sec := getJSON(t, namespace, "secret", name)
	encoded, ok := dig(sec, "data", key).(string)
	require.True(t, ok, "Secret %s/%s has no key %q", namespace, name, key)
	value, err := base64.StdEncoding.DecodeString(encoded)
	require.NoError(t, err)
	require.NotEmpty(t, value)
	return value
}

// clusterPort is a port the local cluster picked (scripts/cluster.sh writes them to
// $STATE_DIR/cluster/ports.env as NAME=port lines).
func clusterPort(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(stateDir, "cluster", "ports.env"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+"="); ok {
			return v
		}
	}
	t.Fatalf("%s is not in the cluster's ports.env:\n%s", name, raw)
	return ""
}

// dumpNamespace logs what a failed running-system test left: pods, events, container logs.
func dumpNamespace(t *testing.T, ns string) {
	out, _ := kubectlIn(t, nil, "get", "pods,pvc,jobs", "-n", ns, "-o", "wide")
	t.Logf("pods:\n%s", out)
	out, _ = kubectlIn(t, nil, "get", "events", "-n", ns, "--sort-by=.lastTimestamp")
	t.Logf("events:\n%s", out)
	for _, p := range pods(t, ns, "app.kubernetes.io/part-of") {
		out, _ = kubectlIn(t, nil, "logs", "-n", ns, p.Name, "--all-containers", "--prefix", "--tail=30")
		t.Logf("logs of %s:\n%s", p.Name, out)
	}
}
