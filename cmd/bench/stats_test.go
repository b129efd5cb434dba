package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSummarize(t *testing.T) {
	s := Summarize([]time.Duration{3 * time.Second, time.Second, 2 * time.Second})
	require.Equal(t, Summary{Runs: 3, Median: 2, Min: 1, Max: 3}, s)
	s = Summarize([]time.Duration{4 * time.Second, time.Second, 2 * time.Second, 3 * time.Second})
	require.Equal(t, Summary{Runs: 4, Median: 2.5, Min: 1, Max: 4}, s)
	require.Equal(t, Summary{}, Summarize(nil))
	require.Equal(t, "–", Summary{}.String())
	require.Equal(t, "2.00 s (1.00 s–3.00 s)", Summary{Runs: 3, Median: 2, Min: 1, Max: 3}.String())
}

func TestRatio(t *testing.T) {
	require.InDelta(t, 1.5, Ratio(Summary{Runs: 1, Median: 3}, Summary{Runs: 1, Median: 2}), 1e-9)
	require.True(t, math.IsNaN(Ratio(Summary{Runs: 1, Median: 3}, Summary{})))
	require.Equal(t, "–", fmtRatio(math.NaN()))
	require.Equal(t, "1.50×", fmtRatio(1.5))
}

func TestParseNs(t *testing.T) {
	ns, err := parseNs("BENCH_N", "1,10, 100")
	require.NoError(t, err)
	require.Equal(t, []int{1, 10, 100}, ns)
	for _, bad := range []string{"", "0", "ten", "1,-3"} {
		_, err := parseNs("BENCH_N", bad)
		require.Error(t, err, bad)
	}
}

func TestAgentsConfigAndCounts(t *testing.T) {
	placement := `"placement":{"nodeSelector":{"cloud-codex.dev/bench-no-node":"true"}}`
	require.JSONEq(t, `[{"name":"agent000","registry":{"apiUrl":"https://api.commonly.example","podId":"pod-bench"},`+placement+`},
		{"name":"agent001","registry":{"apiUrl":"https://api.commonly.example","podId":"pod-bench"},`+placement+`}]`, agentsConfig(2))
	all, objects, err := deploymentCounts([]byte(`{"version": 3, "deployment": {"resources": [
		{"type": "pulumi:pulumi:Stack"}, {"type": "pulumi:providers:kubernetes", "custom": true},
		{"type": "cloud-codex:index:CloudCodexAgent"}, {"type": "kubernetes:core/v1:ConfigMap", "custom": true},
		{"type": "random:index/randomPassword:RandomPassword", "custom": true}]}}`))
	require.NoError(t, err)
	require.Equal(t, 5, all)
	require.Equal(t, 2, objects)
}

func TestMarkdownReportsTargets(t *testing.T) {
	sum := func(v float64) Summary { return Summary{Runs: 5, Median: v, Min: v, Max: v} }
	r := &Report{Runs: 5, Results: []*Result{
		{Agents: 10, Objects: 100, Summary: map[string]Summary{vPreview: sum(10), vPreviewNoPolicy: sum(9), vFloorPreview: sum(9), vUp: sum(12), vFloorUp: sum(10), vKubectl: sum(2)}},
		{Agents: 100, Objects: 1000, Summary: map[string]Summary{vPreview: sum(50), vPreviewNoPolicy: sum(40), vFloorPreview: sum(45), vUp: sum(60), vFloorUp: sum(50), vKubectl: sum(5)}},
	}}
	md := r.Markdown()
	require.Contains(t, md, "preview / floor: 1.11× (target ≤ 1.20×) — met")
	require.Contains(t, md, "policy overhead: 1.25× (target ≤ 1.10×) — NOT met")
	require.Contains(t, md, "preview time(100) / time(10): 5.00× (target ≤ 10.00×) — met")
	require.True(t, strings.Contains(md, "| 100 | 10 | 10.0× | 10.0× |"), md)
}

func TestGrowthMarkdownRatiosAgainst100(t *testing.T) {
	sum := func(v float64) Summary { return Summary{Runs: 3, Median: v, Min: v, Max: v} }
	r := &Report{Runs: 5, GrowthRuns: 3, Growth: []*GrowthResult{
		{Agents: 10, Resources: 80, Summary: map[string]Summary{gPreview: sum(3), gUp: sum(10)}},
		{Agents: 100, Resources: 725, Summary: map[string]Summary{gPreview: sum(8), gUp: sum(40)}},
		{Agents: 500, Resources: 3500, Summary: map[string]Summary{gPreview: sum(40), gUp: sum(260)}},
	}}
	md := r.Markdown()
	require.NotContains(t, md, "no-op", "no no-op rounds were run")
	require.Contains(t, md, "| 500 | 3500 | 5.0× | 40.0 s (40.0 s–40.0 s) | 5.00× | 260 s (260 s–260 s) | 6.50× |")
	require.Contains(t, md, "first preview: t(500)/t(100) = 5.00×, target ≤ 6×: met")
	require.Contains(t, md, "first up: t(500)/t(100) = 6.50×, target ≤ 6×: **not met**")
	require.NotContains(t, md, "per-step saves", "that variant was not run")
}

func TestGrowthConfig(t *testing.T) {
	t.Setenv("BENCH_GROWTH", "off")
	ns, _, _, err := growthConfig()
	require.NoError(t, err)
	require.Empty(t, ns)
	t.Setenv("BENCH_GROWTH", "100,500")
	t.Setenv("BENCH_GROWTH_CHECKPOINTS", "1")
	ns, runs, checkpoints, err := growthConfig()
	require.NoError(t, err)
	require.Equal(t, []int{100, 500}, ns)
	require.Equal(t, 3, runs)
	require.True(t, checkpoints)
	t.Setenv("BENCH_GROWTH", "100,x")
	_, _, _, err = growthConfig()
	require.ErrorContains(t, err, "BENCH_GROWTH=")
}
