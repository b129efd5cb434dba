#!/usr/bin/env bash
# The upgrade check: is a change to the program neutral for a stack that already exists?
# Deploys revision FROM (default HEAD, i.e. the working tree is the change) as a throwaway
# stack in its own namespace on the embedded cluster, then runs the working tree's program
# on that stack and requires:
#   1. every Kubernetes object the stack owns is still there, with the same uid, and Pulumi
#      wrote none of them (the pulumi-kubernetes field manager's timestamps are unchanged):
#      renamed or moved children were carried over by their aliases, nothing was updated,
#      replaced or re-created;
#   2. the engine created only component resources (no cloud object), updated, replaced and
#      deleted nothing;
#   3. a second `up --expect-no-changes` passes.
# Both revisions use FROM's dev stack config (Pulumi.dev.yaml), with the namespace changed.
# Only committed work of FROM and the working tree as it is are compared. Afterwards the
# stack is destroyed, its retained claims and namespace deleted, the worktree removed.
#
# Run it before submitting a change that renames, moves or restructures resources (a
# component refactor, new child names, a new component level), next to the golden list
# (main_test.go), which shows the new names and their aliases.
#
# Usage: scripts/check-upgrade.sh [FROM]        (make check-upgrade FROM=<rev>)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT_DIR"

say() { echo "check-upgrade: $*" >&2; }
from_rev=$(git rev-parse --verify "${1:-HEAD}^{commit}")
stack=upgrade-check
namespace=cc-upgrade-check
work=$(mktemp -d "${TMPDIR:-/tmp}/cloud-codex-upgrade.XXXXXX")
from="$work/from"
# The objects a stack of this program owns (every namespaced kind it declares).
kinds=deployments.apps,statefulsets.apps,jobs.batch,services,secrets,configmaps,persistentvolumeclaims,networkpolicies.networking.k8s.io
unset KUBECONFIG   # the stack targets the embedded cluster (cluster.local)
# Both revisions run the program's own image pins: a FROM older than scripts/pulumi.sh's
# stand-in selection would otherwise run another litellm.image than the working tree.
export LOCAL_STANDINS=0
created_dev=0      # 1: this run created an (empty) dev stack to copy its config from
kubectl_() { kubectl --kubeconfig "$STATE_DIR/kubeconfig" "$@"; }
stack_exists() { pulumi stack ls --json 2>/dev/null | jq -e --arg s "$1" 'any(.[]; .name == $s)' >/dev/null; }

cleanup() {
  local rc=$?
  if pulumi stack select "$stack" 2>/dev/null; then
    say "destroying the throwaway stack"
    STACK=$stack scripts/pulumi.sh destroy >"$work/destroy.log" 2>&1 || { tail -20 "$work/destroy.log" >&2; say "destroy failed (rc $?)"; }
    pulumi stack rm "$stack" --yes --force >/dev/null 2>&1 || true
  fi
  if [ "$created_dev" = 1 ]; then
    pulumi stack rm dev --yes --preserve-config >/dev/null 2>&1 || say "could not remove the empty dev stack it created"
  fi
  # Claims and the namespace are retained on destroy by design.
  kubectl_ delete namespace "$namespace" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -f "$ROOT_DIR/Pulumi.$stack.yaml"
  git worktree remove --force "$from" 2>/dev/null || true
  rm -rf "$work"
  [ $rc -eq 0 ] && say "PASSED ($(git rev-parse --short "$from_rev") -> working tree) in ${SECONDS}s" \
    || say "FAILED (exit $rc) after ${SECONDS}s"
  exit $rc
}
trap cleanup EXIT

TOOLS_QUIET=1 scripts/tools.sh pulumi plugins policy
case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
if stack_exists "$stack"; then
  say "stack $stack exists (an interrupted run?): remove it first with STACK=$stack scripts/pulumi.sh destroy && pulumi stack rm $stack"
  trap - EXIT
  exit 1
fi

say "checking out $(git rev-parse --short "$from_rev") in $from"
git worktree add --quiet --detach "$from" "$from_rev"

# FROM's dev config for stack $stack, in its namespace. `pulumi config cp` re-encrypts any
# secret values for the new stack; the file is written by the CLI, not by this script.
# `config cp` reads the source stack from the backend: a backend without a dev stack gets an
# empty one for the copy (removed again at the end).
if ! stack_exists dev; then
  (cd "$from" && pulumi stack init dev --secrets-provider passphrase >/dev/null)
  created_dev=1
fi
(
  cd "$from"
  pulumi stack init "$stack" --secrets-provider passphrase >/dev/null
  pulumi config cp --stack dev --dest "$stack" >/dev/null
  pulumi config set --stack "$stack" namespace "$namespace" >/dev/null
)
cp "$from/Pulumi.$stack.yaml" "$ROOT_DIR/Pulumi.$stack.yaml"

say "up: $(git rev-parse --short "$from_rev")'s program (log: $work/from-up.log)"
(cd "$from" && STATE_DIR="$STATE_DIR" STACK=$stack scripts/pulumi.sh up >"$work/from-up.log" 2>&1) \
  || { tail -30 "$work/from-up.log" >&2; say "FROM's up failed: nothing to compare against"; exit 1; }
last_update() { pulumi stack history --stack "$stack" --json | jq -c '.[0].resourceChanges // {}'; }
say "FROM created: $(last_update)"

# kind/name uid <pulumi-kubernetes managedFields timestamps>, one line per object.
snapshot() {
  kubectl_ get "$kinds" -n "$namespace" -o json | jq -r '.items[] | [
      .kind + "/" + .metadata.name, .metadata.uid,
      ([.metadata.managedFields[]? | select(.manager | startswith("pulumi-kubernetes")) | .time] | sort | join(","))
    ] | join(" ")' | sort
}
snapshot >"$work/before"
say "$(wc -l <"$work/before") objects in $namespace"
# The field manager's timestamps have one-second resolution: a write in the same second
# as FROM's would go unseen.
sleep 1

say "up: the working tree's program (log: $work/to-up.log)"
STACK=$stack scripts/pulumi.sh up >"$work/to-up.log" 2>&1 || { tail -30 "$work/to-up.log" >&2; say "the working tree's up failed"; exit 1; }
changes=$(last_update)
say "the working tree changed: $changes"
snapshot >"$work/after"

fail=0
if ! diff -u "$work/before" "$work/after" >"$work/objects.diff"; then
  cat "$work/objects.diff" >&2
  say "Kubernetes objects were written, re-created, added or removed (kind/name uid pulumi-write-times above)"
  fail=1
fi
# Only creates of component resources are allowed: they hold no cloud object.
bad=$(jq -r 'to_entries[] | select(.key != "same" and .key != "create" and .value > 0) | "\(.key)=\(.value)"' <<<"$changes")
if [ -n "$bad" ]; then
  say "the engine did more than create components: $bad"
  grep -E '^ *[-+~]' "$work/to-up.log" | grep -v 'cloud-codex:index:' | head -40 >&2 || true
  fail=1
fi
created=$(grep -E '^ \+  [^ ]+ [^ ]+ created' "$work/to-up.log" | awk '{print $2}' | sort -u || true)
if [ -n "$created" ] && grep -qv '^cloud-codex:index:' <<<"$created"; then
  say "created resources that are not components: $(grep -v '^cloud-codex:index:' <<<"$created" | tr '\n' ' ')"
  fail=1
fi
[ "$fail" = 0 ] || exit 1

say "up --expect-no-changes (log: $work/noop.log)"
STACK=$stack scripts/pulumi.sh up --expect-no-changes >"$work/noop.log" 2>&1 \
  || { tail -30 "$work/noop.log" >&2; say "a second up is not a no-op"; exit 1; }
