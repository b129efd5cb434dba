package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Growth (issue 19): what a fleet that grows costs the first time, not in no-op runs. For
// each N in BENCH_GROWTH a new stack of N agents gets its first `pulumi preview
// --policy-pack` (nothing exists yet: every resource is a create) and then its first
// `pulumi up --policy-pack` (creates everything on the local API server); then it is
// destroyed and its namespace deleted, untimed. BENCH_GROWTH_RUNS times each (default 3),
// and t(N)/t(100) shows how time grows with the fleet (linear: N/100).
//
// BENCH_GROWTH_CHECKPOINTS=1 adds the same pair with Pulumi's per-step state saves
// (PULUMI_SKIP_CHECKPOINTS=false, Pulumi's own default) for a before/after in one run; it
// grows with N², so leave 500 out of BENCH_GROWTH when you set it.

// Growth variants.
const (
	gPreview            = "first-preview"
	gUp                 = "first-up"
	gPreviewCheckpoints = "first-preview-checkpoints"
	gUpCheckpoints      = "first-up-checkpoints"
)

// GrowthResult is one N's first-run timings.
type GrowthResult struct {
	Agents    int                  `json:"agents"`
	Resources int                  `json:"resources"`
	Raw       map[string][]float64 `json:"raw"`
	Summary   map[string]Summary   `json:"summary"`
}

func growthNamespace(n int) string { return fmt.Sprintf("cc-bench-growth-n%d", n) }
func growthStack(n int) string     { return fmt.Sprintf("bench-growth-n%d", n) }

// growth times first previews and first ups of a fresh n-agent stack.
func (b *bench) growth(ctx context.Context, n, runs int, checkpoints bool) (*GrowthResult, error) {
	res := &GrowthResult{Agents: n, Raw: map[string][]float64{}, Summary: map[string]Summary{}}
	ns := growthNamespace(n)
	cluster := map[string]any{"kubeconfig": b.kubeconfig, "skipAwait": true}
	type variant struct {
		preview, up string
		env         []string
	}
	variants := []variant{{gPreview, gUp, []string{"PULUMI_SKIP_CHECKPOINTS=true"}}}
	if checkpoints {
		variants = append(variants, variant{gPreviewCheckpoints, gUpCheckpoints, []string{"PULUMI_SKIP_CHECKPOINTS=false"}})
	}
	durations := map[string][]time.Duration{}
	for run := 1; run <= runs; run++ {
		for _, v := range variants {
			if err := b.deleteNamespace(ctx, ns); err != nil {
				return res, err
			}
			cleanup, err := b.newStack(ctx, b.root, growthStack(n), oursConfig(n, ns, cluster))
			if err != nil {
				if cleanup != nil {
					cleanup()
				}
				return res, err
			}
			pd, err := b.pulumiEnv(ctx, b.root, v.env, "preview", "--stack", growthStack(n), "--policy-pack", b.policyPack)
			if err == nil {
				var ud time.Duration
				ud, err = b.pulumiEnv(ctx, b.root, v.env, "up", "--stack", growthStack(n), "--policy-pack", b.policyPack, "--yes")
				if err == nil {
					durations[v.preview] = append(durations[v.preview], pd)
					durations[v.up] = append(durations[v.up], ud)
					b.logf("[growth N=%d] run %d/%d (%s): first preview %.1fs, first up %.1fs", n, run, runs, strings.Join(v.env, " "), pd.Seconds(), ud.Seconds())
					if res.Resources == 0 {
						if export, xerr := b.output(ctx, b.root, b.pulumiBin, "stack", "export", "--stack", growthStack(n)); xerr == nil {
							res.Resources, _, _ = deploymentCounts(export)
						}
					}
				}
			}
			// Untimed teardown, also after a failure: the next run starts from nothing.
			if _, derr := b.pulumiEnv(context.Background(), b.root, nil, "destroy", "--stack", growthStack(n), "--yes"); derr != nil && err == nil {
				err = derr
			}
			cleanup()
			if derr := b.deleteNamespace(context.Background(), ns); derr != nil && err == nil {
				err = derr
			}
			if err != nil {
				return res, fmt.Errorf("growth N=%d run %d: %w", n, run, err)
			}
		}
	}
	for v, ds := range durations {
		res.Summary[v] = Summarize(ds)
		for _, d := range ds {
			res.Raw[v] = append(res.Raw[v], d.Seconds())
		}
	}
	return res, nil
}

// pulumiEnv is pulumi with extra environment entries (later entries win over inherited).
func (b *bench) pulumiEnv(ctx context.Context, dir string, env []string, args ...string) (time.Duration, error) {
	return b.timedEnv(ctx, dir, env, b.pulumiBin, append(args, "--non-interactive")...)
}

// growthBaseline is the N every growth ratio divides by (issue 19 states its target as
// t(500)/t(100)); the smallest N measured when 100 is not among them.
func growthBaseline(rs []*GrowthResult) *GrowthResult {
	if len(rs) == 0 {
		return nil
	}
	sorted := append([]*GrowthResult(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Agents < sorted[j].Agents })
	for _, r := range sorted {
		if r.Agents == 100 {
			return r
		}
	}
	return sorted[0]
}

// targetGrowth is issue 19's bound: from 100 to 500 agents (5×), first preview and first
// up take at most 6× as long.
const targetGrowth = 6.0

// growthMarkdown renders the growth table and its ratios against the baseline N.
func growthMarkdown(rs []*GrowthResult, runs int) string {
	base := growthBaseline(rs)
	if base == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nGrowth (issue 19): a new stack's first `preview --policy-pack` and first `up --policy-pack` (creates), median (min–max) of %d runs; ratios t(N)/t(%d) (linear: N/%d).\n\n", runs, base.Agents, base.Agents)
	variants := []string{gPreview, gUp, gPreviewCheckpoints, gUpCheckpoints}
	names := map[string]string{gPreview: "first preview", gUp: "first up",
		gPreviewCheckpoints: "first preview, per-step saves", gUpCheckpoints: "first up, per-step saves"}
	var shown []string
	for _, v := range variants {
		for _, r := range rs {
			if _, ok := r.Summary[v]; ok {
				shown = append(shown, v)
				break
			}
		}
	}
	b.WriteString("| N agents | resources | N ratio |")
	for _, v := range shown {
		fmt.Fprintf(&b, " %s | ratio |", names[v])
	}
	b.WriteString("\n|---:|---:|---:|" + strings.Repeat("---|---|", len(shown)) + "\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %d | %d | %.1f× |", r.Agents, r.Resources, float64(r.Agents)/float64(base.Agents))
		for _, v := range shown {
			s, ok := r.Summary[v]
			if !ok {
				b.WriteString(" – | – |")
				continue
			}
			fmt.Fprintf(&b, " %s | %s |", s, fmtRatio(Ratio(s, base.Summary[v])))
		}
		b.WriteString("\n")
	}
	for _, r := range rs {
		if r.Agents != 5*base.Agents {
			continue
		}
		for _, v := range []string{gPreview, gUp} {
			ratio := Ratio(r.Summary[v], base.Summary[v])
			verdict := "met"
			if ratio > targetGrowth {
				verdict = "**not met**"
			}
			fmt.Fprintf(&b, "\n- %s: t(%d)/t(%d) = %s, target ≤ %.0f×: %s", names[v], r.Agents, base.Agents, fmtRatio(ratio), targetGrowth, verdict)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// growthConfig reads BENCH_GROWTH (agent counts; "0" or "off" skips), BENCH_GROWTH_RUNS
// and BENCH_GROWTH_CHECKPOINTS.
func growthConfig() (ns []int, runs int, checkpoints bool, err error) {
	spec := envOr("BENCH_GROWTH", "10,100,250")
	if spec == "0" || spec == "off" {
		return nil, 0, false, nil
	}
	if ns, err = parseNs("BENCH_GROWTH", spec); err != nil {
		return nil, 0, false, err
	}
	if runs, err = envInt("BENCH_GROWTH_RUNS", 3); err != nil {
		return nil, 0, false, err
	}
	return ns, runs, os.Getenv("BENCH_GROWTH_CHECKPOINTS") == "1", nil
}
