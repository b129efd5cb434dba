// Command bench measures what a growing fleet costs in preview and deploy (issue 11,
// docs/performance.md), on the project's embedded local API server, with the project's own
// pulumi CLI, plugins and policy pack. `make bench` (scripts/bench.sh) builds and runs it.
//
// For every N in BENCH_N (default 1,10,100) it deploys the real program with N agents
// (namespace cc-bench-nN, skipAwait as the e2e suite does), the engine-floor fixture
// (tests/fixtures/floor: as many plain ConfigMaps as the real stack has objects) and the
// real program's rendered manifests (render mode, applied with kubectl into
// cc-bench-kubectl-nN). Then BENCH_RUNS rounds (default 5), each running every variant once,
// interleaved so that the machine's noise spreads over all of them:
//
//	preview            pulumi preview --policy-pack (what the PR check runs), no-op
//	preview-nopolicy   the same without the policy pack
//	floor-preview      pulumi preview of the floor fixture, no-op
//	up                 pulumi up --policy-pack (what make up runs, preview phase included), no-op
//	floor-up           pulumi up of the floor fixture, no-op
//	kubectl            kubectl apply --server-side of the rendered manifests, no-op
//
// Then, for every N in BENCH_GROWTH, a new stack's first preview and first up (growth.go).
//
// Every no-op pulumi run passes --expect-no-changes: a run that would change something fails the
// bench instead of being timed. It prints median, min and max per variant and the ratios
// (ours / floor, with policy / without, time(N) / time(previous N), ours / kubectl), and
// writes them with the machine's description to $STATE_DIR/bench/ (JSON and Markdown).
//
// Environment: BENCH_RUNS, BENCH_N (comma-separated), BENCH_KEEP=1 keeps the namespaces,
// BENCH_POLICY_PACK another policy pack binary (e.g. an older build, for a before/after).
// It expects scripts/env.sh's environment (scripts/bench.sh sources it) and a running local
// cluster. The stacks live in a temporary file backend that is deleted at the end.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optremove"
)

// Variants timed in every round, in round order.
const (
	vPreview         = "preview"
	vPreviewNoPolicy = "preview-nopolicy"
	vFloorPreview    = "floor-preview"
	vUp              = "up"
	vFloorUp         = "floor-up"
	vKubectl         = "kubectl"
)

var roundVariants = []string{vPreview, vPreviewNoPolicy, vFloorPreview, vUp, vFloorUp, vKubectl}

// Result is one N's measurements.
type Result struct {
	Agents int `json:"agents"`
	// Resources is every resource of the real stack (stack, providers and components
	// included); Objects the custom ones that are not providers, i.e. the Kubernetes
	// objects and random passwords, and the floor's ConfigMap count.
	Resources int `json:"resources"`
	Objects   int `json:"objects"`
	// Manifests is the number of rendered manifest files kubectl applies.
	Manifests int `json:"manifests"`
	// Once are single runs: the first up of each stack and the first kubectl apply.
	Once map[string]float64 `json:"once"`
	// Raw holds every timed run by variant (seconds, round order); Summary their summaries.
	Raw     map[string][]float64 `json:"raw"`
	Summary map[string]Summary   `json:"summary"`
}

// Report is everything one bench run produced.
type Report struct {
	Machine Machine   `json:"machine"`
	Runs    int       `json:"runs"`
	Results []*Result `json:"results"`
	// Growth holds the first-preview and first-up runs (growth.go), GrowthRuns per N.
	Growth     []*GrowthResult `json:"growth,omitempty"`
	GrowthRuns int             `json:"growthRuns,omitempty"`
}

type bench struct {
	root, kubeconfig, policyPack, pulumiBin, kubectlBin, renderRoot string
	pulumiCmd                                                       auto.PulumiCommand
	runs                                                            int
	keep                                                            bool
	log                                                             io.Writer
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	runs, err := envInt("BENCH_RUNS", 5)
	if err != nil {
		return err
	}
	var ns []int
	if spec := envOr("BENCH_N", "1,10,100"); spec != "0" && spec != "off" {
		if ns, err = parseNs("BENCH_N", spec); err != nil {
			return err
		}
	}
	growthNs, growthRuns, growthCheckpoints, err := growthConfig()
	if err != nil {
		return err
	}
	stateDir, toolsBin := os.Getenv("STATE_DIR"), os.Getenv("TOOLS_BIN")
	if stateDir == "" || toolsBin == "" || os.Getenv("PULUMI_HOME") == "" {
		return errors.New("STATE_DIR, TOOLS_BIN and PULUMI_HOME are unset: run it through scripts/bench.sh (make bench)")
	}
	root := os.Getenv("ROOT_DIR")
	if root == "" {
		if root, err = os.Getwd(); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "cc-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	backend := filepath.Join(tmp, "backend")
	if err := os.MkdirAll(backend, 0o700); err != nil {
		return err
	}
	// Every pulumi this process starts (the Automation API's and ours) uses the bench's own
	// file backend, never the dev stack's; the cluster is named explicitly.
	os.Setenv("PULUMI_BACKEND_URL", "file://"+backend)
	os.Unsetenv("KUBECONFIG")
	if os.Getenv("PULUMI_CONFIG_PASSPHRASE") == "" {
		os.Setenv("PULUMI_CONFIG_PASSPHRASE", "cloud-codex-bench-only")
	}
	pulumiCmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: stateDir, SkipVersionCheck: true})
	if err != nil {
		return fmt.Errorf("pulumi CLI: %w", err)
	}
	b := &bench{
		root:       root,
		kubeconfig: filepath.Join(stateDir, "kubeconfig"),
		policyPack: envOr("BENCH_POLICY_PACK", filepath.Join(toolsBin, "cloud-codex-policy")),
		pulumiBin:  filepath.Join(stateDir, "bin", "pulumi"),
		kubectlBin: filepath.Join(toolsBin, "kubectl"),
		renderRoot: filepath.Join(tmp, "render"),
		pulumiCmd:  pulumiCmd,
		runs:       runs,
		keep:       os.Getenv("BENCH_KEEP") == "1",
		log:        os.Stderr,
	}
	report := &Report{Machine: describeMachine(b.pulumiBin, root), Runs: runs}
	b.logf("bench: N=%v, %d runs per variant, backend %s", ns, runs, backend)
	b.logf("bench: %s", report.Machine.Summary())
	// Ctrl-C or a kill stops the running command and still cleans up (stacks, namespaces).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, n := range ns {
		res, err := b.measure(ctx, n)
		if res != nil {
			report.Results = append(report.Results, res)
		}
		if err != nil {
			return fmt.Errorf("at %d agents: %w", n, err)
		}
	}
	report.GrowthRuns = growthRuns
	for _, n := range growthNs {
		res, err := b.growth(ctx, n, growthRuns, growthCheckpoints)
		if res != nil {
			report.Growth = append(report.Growth, res)
		}
		if err != nil {
			return err
		}
	}
	report.Machine.LoadAfter = loadAvg()
	md := report.Markdown()
	fmt.Print(md)
	return writeReport(stateDir, report, md, b.log)
}

// measure sets up the three stacks for n agents, times the rounds and cleans up.
func (b *bench) measure(ctx context.Context, n int) (res *Result, err error) {
	res = &Result{Agents: n, Once: map[string]float64{}, Raw: map[string][]float64{}, Summary: map[string]Summary{}}
	ours := b.root
	floor := filepath.Join(b.root, "tests", "fixtures", "floor")
	renderDir := filepath.Join(b.renderRoot, fmt.Sprintf("n%d", n))
	namespaces := []string{oursNamespace(n), floorNamespace(n), kubectlNamespace(n)}

	b.logf("[N=%d] cleaning namespaces %s", n, strings.Join(namespaces, ", "))
	for _, ns := range namespaces {
		if err := b.deleteNamespace(ctx, ns); err != nil {
			return nil, err
		}
	}
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		if !b.keep {
			for _, ns := range namespaces {
				if derr := b.deleteNamespace(context.Background(), ns); derr != nil && err == nil {
					err = derr
				}
			}
		}
	}()
	newStack := func(dir, name string, cfg map[string]string) error {
		cleanup, err := b.newStack(ctx, dir, name, cfg)
		if cleanup != nil {
			cleanups = append(cleanups, cleanup)
		}
		return err
	}

	// The real program with n agents on the local API server.
	cluster := map[string]any{"kubeconfig": b.kubeconfig, "skipAwait": true}
	if err := newStack(ours, oursStack(n), oursConfig(n, oursNamespace(n), cluster)); err != nil {
		return nil, err
	}
	b.logf("[N=%d] first up of the real stack (creates everything)", n)
	d, err := b.pulumi(ctx, ours, "up", "--stack", oursStack(n), "--policy-pack", b.policyPack, "--yes")
	if err != nil {
		return nil, err
	}
	res.Once["first-up"] = d.Seconds()
	export, err := b.output(ctx, ours, b.pulumiBin, "stack", "export", "--stack", oursStack(n))
	if err != nil {
		return nil, err
	}
	if res.Resources, res.Objects, err = deploymentCounts(export); err != nil {
		return nil, err
	}
	b.logf("[N=%d] %d resources, %d objects; first up %.1fs", n, res.Resources, res.Objects, d.Seconds())

	// The floor: as many plain ConfigMaps as the real stack has objects.
	if _, err := b.output(ctx, b.root, b.kubectlBin, "--kubeconfig", b.kubeconfig, "create", "namespace", floorNamespace(n)); err != nil {
		return nil, err
	}
	if err := newStack(floor, floorStack(n), floorConfig(res.Objects, floorNamespace(n), b.kubeconfig)); err != nil {
		return nil, err
	}
	b.logf("[N=%d] first up of the floor (%d ConfigMaps)", n, res.Objects)
	if d, err = b.pulumi(ctx, floor, "up", "--stack", floorStack(n), "--yes"); err != nil {
		return nil, err
	}
	res.Once["floor-first-up"] = d.Seconds()

	// The same program rendered (render mode), applied with kubectl into its own namespace.
	if err := newStack(ours, renderStack(n), oursConfig(n, kubectlNamespace(n), map[string]any{"renderTo": renderDir})); err != nil {
		return nil, err
	}
	b.logf("[N=%d] rendering the manifests", n)
	if d, err = b.pulumi(ctx, ours, "up", "--stack", renderStack(n), "--policy-pack", b.policyPack, "--yes"); err != nil {
		return nil, err
	}
	res.Once["render"] = d.Seconds()
	manifests := filepath.Join(renderDir, "1-manifest")
	files, err := filepath.Glob(filepath.Join(manifests, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("render mode wrote no manifests to %s", manifests)
	}
	res.Manifests = len(files)
	nsFiles, _ := filepath.Glob(filepath.Join(manifests, "v1-namespace-*.yaml"))
	if len(nsFiles) != 1 {
		return nil, fmt.Errorf("want one Namespace manifest in %s, found %d", manifests, len(nsFiles))
	}
	if _, err := b.kubectlApply(ctx, nsFiles[0]); err != nil {
		return nil, err
	}
	if d, err = b.kubectlApply(ctx, manifests); err != nil {
		return nil, err
	}
	res.Once["kubectl-first-apply"] = d.Seconds()

	// The rounds.
	ops := map[string]func() (time.Duration, error){
		vPreview: func() (time.Duration, error) {
			return b.pulumi(ctx, ours, "preview", "--stack", oursStack(n), "--policy-pack", b.policyPack, "--diff", "--expect-no-changes")
		},
		vPreviewNoPolicy: func() (time.Duration, error) {
			return b.pulumi(ctx, ours, "preview", "--stack", oursStack(n), "--diff", "--expect-no-changes")
		},
		vFloorPreview: func() (time.Duration, error) {
			return b.pulumi(ctx, floor, "preview", "--stack", floorStack(n), "--diff", "--expect-no-changes")
		},
		vUp: func() (time.Duration, error) {
			return b.pulumi(ctx, ours, "up", "--stack", oursStack(n), "--policy-pack", b.policyPack, "--yes", "--expect-no-changes")
		},
		vFloorUp: func() (time.Duration, error) {
			return b.pulumi(ctx, floor, "up", "--stack", floorStack(n), "--yes", "--expect-no-changes")
		},
		vKubectl: func() (time.Duration, error) { return b.kubectlApply(ctx, manifests) },
	}
	waited, busy, err := waitForQuiet(ctx)
	if err != nil {
		return nil, err
	}
	b.logf("[N=%d] waited %.0fs for the machine to settle (CPUs %.0f%% busy)", n, waited.Seconds(), 100*busy)
	durations := map[string][]time.Duration{}
	for round := 1; round <= b.runs; round++ {
		var line []string
		for _, v := range roundVariants {
			d, err := ops[v]()
			if err != nil {
				return res, fmt.Errorf("round %d, %s: %w", round, v, err)
			}
			durations[v] = append(durations[v], d)
			res.Raw[v] = append(res.Raw[v], d.Seconds())
			line = append(line, fmt.Sprintf("%s %.1fs", v, d.Seconds()))
		}
		b.logf("[N=%d] round %d/%d: %s", n, round, b.runs, strings.Join(line, ", "))
	}
	for v, ds := range durations {
		res.Summary[v] = Summarize(ds)
	}
	return res, nil
}

// newStack creates (or replaces) a stack of the program in dir in the bench's backend and
// sets its config. The cleanup removes the stack and its Pulumi.<stack>.yaml.
func (b *bench) newStack(ctx context.Context, dir, name string, cfg map[string]string) (func(), error) {
	configFile := filepath.Join(dir, "Pulumi."+name+".yaml")
	_ = os.Remove(configFile) // a leftover of an interrupted run
	stack, err := auto.UpsertStackLocalSource(ctx, name, dir,
		auto.Pulumi(b.pulumiCmd),
		auto.PulumiHome(os.Getenv("PULUMI_HOME")),
		auto.SecretsProvider("passphrase"),
	)
	if err != nil {
		return nil, fmt.Errorf("creating stack %s: %w", name, err)
	}
	cleanup := func() {
		_ = stack.Workspace().RemoveStack(context.Background(), name, optremove.Force())
		_ = os.Remove(configFile)
	}
	values := auto.ConfigMap{}
	for k, v := range cfg {
		values[k] = auto.ConfigValue{Value: v}
	}
	if err := stack.SetAllConfig(ctx, values); err != nil {
		return cleanup, fmt.Errorf("configuring stack %s: %w", name, err)
	}
	return cleanup, nil
}

// pulumi runs the project's pulumi CLI in dir, as scripts/pulumi.sh does, and times it.
func (b *bench) pulumi(ctx context.Context, dir string, args ...string) (time.Duration, error) {
	return b.timed(ctx, dir, b.pulumiBin, append(args, "--non-interactive")...)
}

// kubectlApply server-side applies a file or (recursively) a directory of manifests.
func (b *bench) kubectlApply(ctx context.Context, path string) (time.Duration, error) {
	return b.timed(ctx, b.root, b.kubectlBin, "--kubeconfig", b.kubeconfig, "apply", "--server-side",
		"--field-manager", "cc-bench", "--recursive", "-f", path)
}

// timed runs a command to completion and returns its wall time; on failure, the error
// carries the end of its output.
func (b *bench) timed(ctx context.Context, dir, bin string, args ...string) (time.Duration, error) {
	return b.timedEnv(ctx, dir, nil, bin, args...)
}

// timedEnv is timed with extra environment entries on top of this process's.
func (b *bench) timedEnv(ctx context.Context, dir string, env []string, bin string, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(out.String(), 40))
	}
	return d, nil
}

// output runs a command and returns its stdout.
func (b *bench) output(ctx context.Context, dir, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(stderr.String(), 20))
	}
	return out, nil
}

func (b *bench) deleteNamespace(ctx context.Context, ns string) error {
	_, err := b.output(ctx, b.root, b.kubectlBin, "--kubeconfig", b.kubeconfig, "delete", "namespace", ns,
		"--ignore-not-found", "--wait=true", "--timeout=600s")
	return err
}

func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(b.log, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

// writeReport saves the report as JSON and Markdown under $STATE_DIR/bench.
func writeReport(stateDir string, r *Report, md string, log io.Writer) error {
	dir := filepath.Join(stateDir, "bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, "bench-"+time.Now().UTC().Format("20060102T150405Z"))
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", data, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "bench: wrote %s.json and %s.md\n", base, base)
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) (int, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: want a positive integer", key, v)
	}
	return n, nil
}

// parseNs parses a list of agent counts (BENCH_N, BENCH_GROWTH): positive, comma- or
// space-separated, in the order given (ratios compare each N with the one before it).
func parseNs(key, s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s=%q: %q is not a positive agent count", key, s, f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s=%q: no agent counts", key, s)
	}
	return out, nil
}

func tail(s string, lines int) string {
	var all []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		all = append(all, sc.Text())
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
