// Package tests holds the end-to-end suite: the real pulumi CLI (through the Automation
// API) runs the real program and policy pack against the project's embedded Kubernetes API
// server, and the assertions read back what the API server holds.
package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optremove"
	"github.com/stretchr/testify/require"
)

// env holds the project's environment (scripts/env.sh): one source of truth for where the
// toolchain, Pulumi home and cluster state live.
var (
	rootDir    string
	stateDir   string
	kubeconfig string
	policyPack string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	wd, _ := os.Getwd()
	rootDir = filepath.Dir(wd)
	if err := importProjectEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	stateDir = os.Getenv("STATE_DIR")
	kubeconfig = filepath.Join(stateDir, "kubeconfig")
	policyPack = filepath.Join(os.Getenv("TOOLS_BIN"), "cloud-codex-policy")
	// The toolchain and the cluster come from the project's own scripts, exactly as for
	// `make up`: idempotent and quick when built.
	if out, err := script("scripts/tools.sh", "pulumi", "plugins", "policy", "kube"); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: toolchain: %v\n%s", err, out)
		return 1
	}
	_, statusErr := script("scripts/cluster.sh", "status")
	startedCluster := statusErr != nil
	if out, err := script("scripts/cluster.sh", "up"); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: cluster: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	if startedCluster && os.Getenv("E2E_KEEP_CLUSTER") == "" {
		if out, err := script("scripts/cluster.sh", "down"); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: cluster down: %v\n%s", err, out)
		}
	}
	return code
}

// importProjectEnv sources scripts/env.sh in bash and copies the result into this process.
func importProjectEnv() error {
	cmd := exec.Command("bash", "-c", "source scripts/env.sh && env -0")
	cmd.Dir = rootDir
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("sourcing scripts/env.sh: %w", err)
	}
	for _, kv := range bytes.Split(out, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && k != "" {
			os.Setenv(k, v)
		}
	}
	// The suite names its cluster explicitly; an ambient KUBECONFIG must not redirect it.
	os.Unsetenv("KUBECONFIG")
	return nil
}

func script(name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(rootDir, name), args...)
	cmd.Dir = rootDir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// kubectl runs the real kubectl against the embedded cluster.
func kubectl(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(os.Getenv("TOOLS_BIN"), "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// getJSON reads one object from the API server.
func getJSON(t *testing.T, namespace, kind, name string) map[string]any {
	t.Helper()
	out, err := kubectl(t, "get", "-n", namespace, kind, name, "-o", "json")
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, json.Unmarshal(out, &obj))
	return obj
}

// exists reports whether the API server holds the object.
func exists(t *testing.T, namespace, kind, name string) bool {
	t.Helper()
	out, err := kubectl(t, "get", "-n", namespace, kind, name, "--ignore-not-found", "-o", "name")
	require.NoError(t, err)
	return strings.TrimSpace(string(out)) != ""
}

// deleteNamespace removes a namespace left by an earlier run (retained objects included),
// so each run starts from nothing.
func deleteNamespace(t *testing.T, ns string) {
	t.Helper()
	_, err := kubectl(t, "delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=120s")
	require.NoError(t, err)
}

// newStack creates a fresh stack of the program in dir with its own file backend, using the
// project's pulumi binary, Pulumi home and plugins.
func newStack(t *testing.T, dir, name string, config map[string]string) auto.Stack {
	t.Helper()
	ctx := context.Background()
	pulumiCmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: stateDir})
	require.NoError(t, err)
	backend := "file://" + t.TempDir()
	env := map[string]string{
		"PULUMI_BACKEND_URL":                          backend,
		"PULUMI_CONFIG_PASSPHRASE":                    os.Getenv("PULUMI_CONFIG_PASSPHRASE"),
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"GOGC": os.Getenv("PULUMI_GOGC"),
		// The Kubernetes provider leaves a kubeconfig (with the cluster's credentials) in
		// $TMPDIR each time it is configured (pulumi-kubernetes provider/pkg/provider/util.go):
		// here, in a directory removed with the test.
		"TMPDIR": t.TempDir(),
	}
	stack, err := auto.UpsertStackLocalSource(ctx, name, dir,
		auto.Pulumi(pulumiCmd),
		auto.PulumiHome(os.Getenv("PULUMI_HOME")),
		auto.EnvVars(env),
		auto.SecretsProvider("passphrase"),
	)
	require.NoError(t, err)
	configFile := filepath.Join(dir, "Pulumi."+name+".yaml")
	t.Cleanup(func() {
		_ = stack.Workspace().RemoveStack(ctx, name, optremove.Force())
		_ = os.Remove(configFile)
	})
	require.NoError(t, stack.SetAllConfig(ctx, configMap(config)))
	return stack
}

// logWriter streams an operation's output into the test log, line by line, and keeps it.
type logWriter struct {
	t   *testing.T
	buf bytes.Buffer
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return len(p), nil
}

func (w *logWriter) String() string { return w.buf.String() }

// dump logs the captured output (used on failure paths and for the record).
func (w *logWriter) dump() {
	sc := bufio.NewScanner(strings.NewReader(w.buf.String()))
	for sc.Scan() {
		w.t.Log(sc.Text())
	}
}

func timeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func configMap(values map[string]string) auto.ConfigMap {
	cfg := auto.ConfigMap{}
	for k, v := range values {
		cfg[k] = auto.ConfigValue{Value: v}
	}
	return cfg
}

// programBinaryInode identifies the language host's build of the program in dir, found by
// the program directory each cache entry records (tools/language-go/buildcache). `go build`
// touches an up-to-date target in place but writes a relinked one as a new file, so an
// unchanged inode across runs means the program was not linked again.
func programBinaryInode(t *testing.T, dir string) uint64 {
	t.Helper()
	root := os.Getenv("CLOUD_CODEX_PROGRAM_CACHE")
	require.NotContains(t, []string{"", "off"}, root, "CLOUD_CODEX_PROGRAM_CACHE must name the program cache (scripts/env.sh)")
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, e := range entries {
		source, err := os.ReadFile(filepath.Join(root, e.Name(), "source"))
		if err != nil || string(source) != dir {
			continue
		}
		info, err := os.Stat(filepath.Join(root, e.Name(), "program"))
		require.NoError(t, err, "cache entry for %s has no program", dir)
		return info.Sys().(*syscall.Stat_t).Ino
	}
	t.Fatalf("no program build cached for %s under %s", dir, root)
	return 0
}
