#!/usr/bin/env bash
# The fresh-machine check: what a new contributor or CI meets. Clones HEAD into a temporary
# directory and runs the README's two commands there (`make up`, then `make test`) with an
# empty Go module cache and an empty project cache ($CLOUD_CODEX_CACHE), so every download
# and build step the scripts rely on must really be in the scripts. The Go build cache stays
# warm (compiled packages are reused), so it takes minutes rather than an hour; set
# CHECK_FRESH_COLD_BUILD=1 to empty that too.
#
# Run it before submitting any change to scripts/, tools/, the Makefile, go.mod or .ci/.
# Only committed work is checked (it clones HEAD). Afterwards everything it made is removed:
# the clone, its caches, its cluster (stopped with its own `make cluster-down`, then purged).
#
# The embedded cluster's node is machine-wide (one per machine), so a node this checkout is
# running is stopped first (`scripts/cluster.sh down`; its data is kept) and not restarted.
#
# Usage: scripts/check-fresh.sh        (make check-fresh)
#        CHECK_FRESH_COLD_BUILD=1 CHECK_FRESH_TEST_FIRST=1 scripts/check-fresh.sh: CI's cold run
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT_DIR"

say() { echo "check-fresh: $*" >&2; }
[ -z "$(git status --porcelain --untracked-files=no)" ] \
  || say "warning: uncommitted changes are NOT part of this check (it clones HEAD $(git rev-parse --short HEAD))"

own_ports="$STATE_DIR/cluster/ports.env"

# The clone fills its own module cache, tool cache, cluster and images (and, cold, a Go
# build cache): a disk that runs out does so only at the image import, an hour or more in
# (a cold run with 25 GB free did, on 2026-11-30). Refuse up front instead. The warm check
# used 18 GB at its peak (24 GB free at the start, 6 GB at the lowest; 2026-11-30), a cold
# one about 20 GB more; and the node's kubelet evicts pods once the disk has less than 2%
# free (evictionHard nodefs.available, tools/node/cmd/node-config/kubelet.go), which on a
# 252 GB disk is 5 GB: a run that started with 22 GB free had its pods evicted in make test.
# CHECK_FRESH_MIN_FREE_GB overrides the floor.
disk_gb=$(df --output=size -B1G "${TMPDIR:-/tmp}" | tail -1 | tr -d ' ')
use_gb=$([ "${CHECK_FRESH_COLD_BUILD:-0}" = 1 ] && echo 38 || echo 18)
need_gb=${CHECK_FRESH_MIN_FREE_GB:-$((use_gb + (disk_gb * 2 + 99) / 100 + 2))}
free_gb=$(df --output=avail -B1G "${TMPDIR:-/tmp}" | tail -1 | tr -d ' ')
if [ "$free_gb" -lt "$need_gb" ]; then
  say "only ${free_gb} GB free under ${TMPDIR:-/tmp}; this check needs about ${need_gb} GB (Go modules, tool cache, cluster and images$([ "${CHECK_FRESH_COLD_BUILD:-0}" = 1 ] && echo ', a cold Go build cache'), and the 2% of the disk below which the kubelet evicts pods): free some space or point TMPDIR at a bigger disk"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cloud-codex-fresh.XXXXXX")
clone="$work/cloud-codex"
export GOMODCACHE="$work/gomodcache"
export CLOUD_CODEX_CACHE="$work/cache"
[ "${CHECK_FRESH_COLD_BUILD:-0}" = 1 ] && export GOCACHE="$work/gocache"
# Whatever the clone's tools leave in $TMPDIR (the Kubernetes provider's kubeconfigs, for
# one) goes when $work does.
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
# As /tmp is: tests that drop to another uid (the rotator's, as uid 65534) run binaries
# they built in $TMPDIR, so every directory above it must be traversable (mktemp makes
# $work 0700).
chmod 0711 "$work"
chmod 1777 "$TMPDIR"
# The clone has its own state dir (and Pulumi home, backend, program cache, cluster). This
# checkout's tool links leave PATH too: tools.sh honours a pulumi it finds on PATH outside
# its own cache, and ours would have spared the clone its CLI build (it did, once).
PATH=$(tr ':' '\n' <<<"$PATH" | grep -vxF "$TOOLS_BIN" | paste -sd: -)
export PATH
unset STATE_DIR TOOLS_BIN PULUMI_HOME PULUMI_BACKEND_URL CLOUD_CODEX_PROGRAM_CACHE KUBECONFIG

# machine_state: what the embedded cluster's node changes on this machine (network links and
# addresses, iptables rules, the sysctls it sets, mounts and cgroups of its own, /run
# entries, processes started from the clone). `make cluster-down` must put all of it back.
machine_state() {
  # Never fails (set -e): a command with nothing to list (no netns, no match) says nothing.
  local t
  echo "## links"; ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort || true
  echo "## addresses"; ip -o addr show 2>/dev/null | awk '{ print $2, $3, $4 }' | sort || true
  # A built-in chain at its default policy (-P INPUT ACCEPT) is all an empty table lists, and
  # a fresh machine has no iptables until the node step installs it: "no iptables" before
  # and empty tables after is no change. A rule, a chain or a changed policy still shows.
  echo "## iptables"; for t in filter nat mangle raw; do iptables -t "$t" -S 2>/dev/null | { grep -vE '^-P [A-Z]+ ACCEPT$' || true; } | sed "s/^/$t /" || true; done | sort
  echo "## sysctls"; sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables 2>/dev/null || true
  echo "## mounts"; awk -v w="$work" '$2 ~ /cloud-codex|\/run\/netns\/|\/run\/containerd/ || index($2, w) == 1 { print $2 }' /proc/self/mounts | sort || true
  echo "## cgroups"; find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name 'cloud-codex*' 2>/dev/null | sort || true
  echo "## run"; { ls -d /run/cloud-codex* /run/netns/cni-* 2>/dev/null || true; } | sort
  echo "## processes"; { pgrep -af -- "$work" 2>/dev/null || true; } | { grep -v -e pgrep -e check-fresh || true; } | awk '{ $1 = ""; print }' | sort
  return 0
}

cleanup() {
  local rc=$?
  # Every step below runs whatever the one before it did: a cleanup that stops halfway
  # leaves a cluster or gigabytes behind.
  set +e
  if [ -x "$clone/scripts/cluster.sh" ]; then
    say "stopping the clone's cluster"
    (cd "$clone" && make cluster-down >&2 && scripts/cluster.sh down --purge >&2) || say "the clone's cluster-down failed (rc $?)"
  fi
  if [ -s "$work/machine.before" ]; then
    machine_state >"$work/machine.after"
    if ! diff -u "$work/machine.before" "$work/machine.after" >&2; then
      say "make cluster-down left the machine changed (diff above: - before make up, + after cluster-down)"
      [ $rc -ne 0 ] || rc=1
    else
      say "make cluster-down left the machine as it found it (links, addresses, iptables, sysctls, mounts, cgroups, /run, processes)"
    fi
  fi
  # Never delete through a mount (a pod volume left mounted would take its source with it).
  if awk -v w="$work/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    say "mounts remain under $work (see /proc/self/mounts); not deleting it"
    [ $rc -ne 0 ] || rc=1
  else
    # The module cache is read-only by design; make it removable.
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
  fi
  [ $rc -eq 0 ] && say "PASSED in $((SECONDS / 60))m$((SECONDS % 60))s" || say "FAILED (exit $rc) after $((SECONDS / 60))m$((SECONDS % 60))s"
  exit $rc
}
trap cleanup EXIT
# Ctrl-C or a kill: exit through cleanup too (bash skips the EXIT trap when a signal kills it).
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -f "$own_ports" ]; then
  say "stopping this checkout's cluster (one node per machine; data kept)"
  STATE_DIR="${own_ports%/cluster/ports.env}" scripts/cluster.sh down >&2
fi

machine_state >"$work/machine.before"
say "cloning HEAD ($(git rev-parse --short HEAD)) into $clone; GOMODCACHE and CLOUD_CODEX_CACHE empty"
git clone -q "$ROOT_DIR" "$clone"
cd "$clone"
# CHECK_FRESH_TEST_FIRST=1 runs `make test` first, as CI does on a clean clone (.ci/run is
# `make test`): the cold toolchain is then built by make test's one tools.sh call, the
# run CI's time limit applies to; `make up` follows on the warm caches.
run_make() {
  local t=$SECONDS
  say "make $1"
  make "$1"
  say "make $1 passed in $((SECONDS - t))s"
  # A fresh machine builds its own CLI; one found elsewhere means this check tested less.
  local cli
  cli=$(readlink -f .state/bin/pulumi)
  [[ "$cli" == "$CLOUD_CODEX_CACHE"/* ]] || { say "the clone used a pulumi outside its empty cache ($cli)"; exit 1; }
}
if [ "${CHECK_FRESH_TEST_FIRST:-0}" = 1 ]; then
  run_make test; run_make up
else
  run_make up; run_make test
fi
[ -z "$(git status --porcelain)" ] || { git status --short >&2; say "the clone is not clean after make up + make test"; exit 1; }
