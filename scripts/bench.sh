#!/usr/bin/env bash
# make bench: what a growing fleet costs in preview and deploy, against the engine floor
# (issue 11; figures and method in docs/performance.md).
#
#   1. Go benchmarks: program construction under mocks, per agent (and the policy pack's
#      stack rules), with allocations. BENCH_GO=0 skips them.
#   2. cmd/bench on the embedded local API server: pulumi preview --policy-pack and a no-op
#      pulumi up for N agents, the floor fixture (tests/fixtures/floor) with as many plain
#      ConfigMaps, and kubectl apply --server-side of the same rendered manifests; median,
#      min, max and ratios. BENCH_CLI=0 skips it.
#   3. Growth (issue 19): a new stack's first preview and first up (creates) at N agents,
#      t(N)/t(100). BENCH_GROWTH (default "10,100,250"; add 500, ~10 min more here; "off"
#      skips), BENCH_GROWTH_RUNS (default 3), BENCH_GROWTH_CHECKPOINTS=1 adds the same runs
#      with Pulumi's per-step state saves (quadratic: keep N small).
#
# Environment: BENCH_RUNS (runs per variant, default 5), BENCH_N (agent counts, default
# "1,10,100"; "off" skips the no-op rounds), BENCH_KEEP=1 (keep the cc-bench-* namespaces), BENCH_GO, BENCH_CLI.
# Quick run: BENCH_N=1,10 BENCH_RUNS=2 make bench. N=100 takes a long while on 2 cores.
# Results: stdout, and $STATE_DIR/bench/bench-<time>.{json,md}.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT_DIR"

if [ "${BENCH_GO:-1}" != 0 ]; then
  echo "==> Go benchmarks (construction under mocks; policy stack rules)"
  go test -run '^$' -bench 'BenchmarkProgram' -benchmem -benchtime "${BENCH_GO_TIME:-20x}" . | grep -E '^(Benchmark|ok|FAIL)'
  go test -run '^$' -bench 'BenchmarkPack' -benchmem -benchtime "${BENCH_GO_TIME:-20x}" ./policy/rules/ | grep -E '^(Benchmark|ok|FAIL)'
fi

if [ "${BENCH_CLI:-1}" != 0 ]; then
  echo "==> CLI bench on the local API server (BENCH_N=${BENCH_N:-1,10,100}, BENCH_RUNS=${BENCH_RUNS:-5})"
  TOOLS_QUIET=1 scripts/tools.sh pulumi plugins policy kube
  scripts/cluster.sh up >/dev/null
  mkdir -p "$STATE_DIR/bench"
  go build -o "$STATE_DIR/bench/cc-bench" ./cmd/bench
  # The Kubernetes provider leaves a kubeconfig in $TMPDIR each time it is configured
  # (scripts/pulumi.sh says more): a directory of the bench's own, removed after it.
  bench_tmp=$(mktemp -d "$STATE_DIR/tmp.bench.XXXXXX")
  trap 'rm -rf "$bench_tmp"' EXIT
  TMPDIR="$bench_tmp" GOGC="$PULUMI_GOGC" "$STATE_DIR/bench/cc-bench"
fi
