#!/usr/bin/env bash
# The README's test command (`make test`) runs this, and so does CI (.ci/run): toolchain
# (built or reused from the cache), lint, then every Go test — unit, policy, rotator, and
# the end-to-end suite in tests/ against the embedded API server with the real pulumi CLI.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT_DIR"
start=$SECONDS
# The running-system tests need the embedded cluster's node, and the node needs root.
# CLUSTER_NODE=0 runs everything else against the API server alone (those tests then skip,
# naming CLUSTER_NODE=0); it is never chosen silently.
node_step=node
if [ "${CLUSTER_NODE:-1}" = 0 ]; then
  node_step=""
  echo "==> CLUSTER_NODE=0: no node; the running-system tests are skipped" >&2
elif [ "$(id -u)" != 0 ]; then
  echo "make test: the embedded cluster's node needs root (containerd, kubelet, network, cgroups)." >&2
  echo "  Run it as root, or CLUSTER_NODE=0 make test to skip the running-system tests." >&2
  exit 1
fi
# Quiet when warm (nothing per step); a cold step says what it builds and how long it took.
TOOLS_QUIET=1 scripts/tools.sh pulumi plugins policy kube $node_step staticcheck actionlint
scripts/lint.sh
t=$SECONDS
echo "==> go test ./... (unit, policy, rotator, end-to-end on the local cluster; usually 10-15 min, the first run also installs the pinned codex from npm)" >&2
rc=0
go test -count=1 -timeout 45m ./... || rc=$?
[ $rc = 0 ] || { echo "==> go test failed (exit $rc) after $((SECONDS - t))s" >&2; exit $rc; }
echo "    go test: done in $((SECONDS - t))s" >&2
(cd tools/language-go && go test -count=1 ./buildcache/)
echo "==> all tests passed in $((SECONDS - start))s" >&2
