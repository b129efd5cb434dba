package main

import (
	"fmt"
	"math"
	"strings"
)

// Targets of issue 11 that the CLI bench can check (construction per agent is a Go
// benchmark: go test -bench Program -benchmem .).
const (
	targetPreviewOverFloor = 1.2  // preview (with policy) / floor preview, at the largest N
	targetPolicyOverhead   = 1.10 // preview with policy / without
	targetScaling          = 10.0 // time(100) / time(10): linear or better
)

// Markdown renders the report: machine, timings, single runs, ratios and targets.
func (r *Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "\n## Bench %s\n\n", m.Date)
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), MemTotal %s; %s; %s; Kubernetes %s, pulumi-kubernetes %s; GOGC %s; program cache %s; commit %s; load average before %s, after %s.\n\n",
		m.CPUs, m.CPUModel, m.MemTotal, m.Go, firstLine(m.Pulumi), m.Kubernetes, m.Provider, m.GOGC, m.ProgramCache, m.Commit, m.LoadBefore, m.LoadAfter)

	if len(r.Results) > 0 {
		b.WriteString(r.noopMarkdown())
		b.WriteString(r.targets())
	}
	b.WriteString(growthMarkdown(r.Growth, r.GrowthRuns))
	return b.String()
}

// noopMarkdown renders the no-op rounds: timings, single runs, ratios and scaling.
func (r *Report) noopMarkdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Wall time, median (min–max) of %d runs. Every run is a no-op (--expect-no-changes).\n\n", r.Runs)
	b.WriteString("| N agents | objects | preview + policy | preview, no policy | floor preview | up + policy | floor up | kubectl apply --server-side |\n")
	b.WriteString("|---:|---:|---|---|---|---|---|---|\n")
	for _, res := range r.Results {
		s := res.Summary
		fmt.Fprintf(&b, "| %d | %d | %s | %s | %s | %s | %s | %s |\n", res.Agents, res.Objects,
			s[vPreview], s[vPreviewNoPolicy], s[vFloorPreview], s[vUp], s[vFloorUp], s[vKubectl])
	}

	b.WriteString("\nSingle runs (setup): the first `up` creates everything.\n\n")
	b.WriteString("| N agents | resources (all) | objects | first up + policy | floor first up | render mode up | first kubectl apply (manifests) |\n")
	b.WriteString("|---:|---:|---:|---|---|---|---|\n")
	for _, res := range r.Results {
		o := res.Once
		fmt.Fprintf(&b, "| %d | %d | %d | %s | %s | %s | %s (%d) |\n", res.Agents, res.Resources, res.Objects,
			onceStr(o, "first-up"), onceStr(o, "floor-first-up"), onceStr(o, "render"), onceStr(o, "kubectl-first-apply"), res.Manifests)
	}

	b.WriteString("\nRatios of medians.\n\n")
	b.WriteString("| N agents | preview / floor | preview no policy / floor | up / floor up | policy overhead (preview with / without) | up / kubectl | preview ms per object (floor) |\n")
	b.WriteString("|---:|---|---|---|---|---|---|\n")
	for _, res := range r.Results {
		s := res.Summary
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s (%s) |\n", res.Agents,
			fmtRatio(Ratio(s[vPreview], s[vFloorPreview])), fmtRatio(Ratio(s[vPreviewNoPolicy], s[vFloorPreview])),
			fmtRatio(Ratio(s[vUp], s[vFloorUp])), fmtRatio(Ratio(s[vPreview], s[vPreviewNoPolicy])),
			fmtRatio(Ratio(s[vUp], s[vKubectl])),
			perObject(s[vPreview], res.Objects), perObject(s[vFloorPreview], res.Objects))
	}

	if len(r.Results) > 1 {
		b.WriteString("\nScaling: time(N) / time(previous N) (linear would be N / previous N).\n\n")
		b.WriteString("| N agents | vs N | agents ratio | objects ratio | preview + policy | preview, no policy | floor preview | up + policy | floor up | kubectl |\n")
		b.WriteString("|---:|---:|---:|---:|---|---|---|---|---|---|\n")
		for i := 1; i < len(r.Results); i++ {
			cur, prev := r.Results[i], r.Results[i-1]
			row := []string{fmt.Sprint(cur.Agents), fmt.Sprint(prev.Agents),
				fmt.Sprintf("%.1f×", float64(cur.Agents)/float64(prev.Agents)),
				fmt.Sprintf("%.1f×", float64(cur.Objects)/float64(max(prev.Objects, 1)))}
			for _, v := range []string{vPreview, vPreviewNoPolicy, vFloorPreview, vUp, vFloorUp, vKubectl} {
				row = append(row, fmtRatio(Ratio(cur.Summary[v], prev.Summary[v])))
			}
			fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
		}
	}

	return b.String()
}

// targets checks issue 11's CLI targets at the largest N measured (and its scaling
// against N=10 when both 10 and 100 were measured).
func (r *Report) targets() string {
	if len(r.Results) == 0 {
		return ""
	}
	last := r.Results[len(r.Results)-1]
	s := last.Summary
	var b strings.Builder
	fmt.Fprintf(&b, "\nTargets (issue 11) at N=%d:\n\n", last.Agents)
	check := func(name string, got, limit float64) {
		verdict := "met"
		if math.IsNaN(got) {
			verdict = "not measured"
		} else if got > limit {
			verdict = "NOT met"
		}
		fmt.Fprintf(&b, "- %s: %s (target ≤ %.2f×) — %s\n", name, fmtRatio(got), limit, verdict)
	}
	check("preview / floor", Ratio(s[vPreview], s[vFloorPreview]), targetPreviewOverFloor)
	check("policy overhead", Ratio(s[vPreview], s[vPreviewNoPolicy]), targetPolicyOverhead)
	var at10, at100 *Result
	for _, res := range r.Results {
		switch res.Agents {
		case 10:
			at10 = res
		case 100:
			at100 = res
		}
	}
	if at10 != nil && at100 != nil {
		check("preview time(100) / time(10)", Ratio(at100.Summary[vPreview], at10.Summary[vPreview]), targetScaling)
		check("up time(100) / time(10)", Ratio(at100.Summary[vUp], at10.Summary[vUp]), targetScaling)
	}
	return b.String()
}

func onceStr(o map[string]float64, k string) string {
	v, ok := o[k]
	if !ok {
		return "–"
	}
	return secs(v)
}

func perObject(s Summary, objects int) string {
	if s.Runs == 0 || objects == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f ms", s.Median*1000/float64(objects))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return "pulumi " + line
}
