#!/usr/bin/env bash
# Runs one Pulumi operation on a stack the way every entry point (make, CI, tests) does:
# the project's toolchain and Pulumi home, the file backend for the dev stack (unless
# PULUMI_BACKEND_URL names another), the policy pack on every run, and the embedded local
# cluster started first when the stack targets it.
#
# Usage: scripts/pulumi.sh preview|up|destroy|refresh [extra pulumi args...]
#        STACK=<name> selects the stack (default dev).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT_DIR"

op="${1:?usage: scripts/pulumi.sh preview|up|destroy|refresh [args...]}"
shift
stack="${STACK:-dev}"

# Whether the stack needs the embedded cluster is the stack's config, which only the CLI
# built here can read; on a cold machine, waiting for it would build the cluster's binaries
# after the toolchain instead of beside it (scripts/tools.sh's two lanes).
# So the dev stack, the repo's embedded one, asks for them up front unless KUBECONFIG names
# another cluster. A hint only: the config below still decides whether the cluster starts,
# and a dev stack pointed elsewhere has built them once for nothing (CLUSTER_NODE=0 skips
# the node).
tool_steps=(pulumi plugins policy)
if [ "$stack" = dev ] && [ -z "${KUBECONFIG:-}" ]; then
  tool_steps+=(kube)
  [ "${CLUSTER_NODE:-1}" = 1 ] && [ "$(id -u)" = 0 ] && tool_steps+=(node)
fi
TOOLS_QUIET=1 "$ROOT_DIR/scripts/tools.sh" "${tool_steps[@]}"
case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac

if ! pulumi stack select "$stack" 2>/dev/null; then
  # Only the throwaway dev stack is created on the fly (with the dev-only passphrase); a
  # mistyped STACK=prod must not silently get a new stack encrypted with it.
  if [ "$stack" != "dev" ]; then
    echo "scripts/pulumi.sh: stack '$stack' does not exist in $PULUMI_BACKEND_URL; create it with" >&2
    echo "  pulumi stack init $stack --secrets-provider <your provider>   (see docs/runbooks/real-cluster-and-backend.md)" >&2
    exit 1
  fi
  echo "==> creating stack $stack (secrets provider: passphrase, dev-only passphrase)"
  pulumi stack init "$stack" --secrets-provider passphrase
fi

# The stack targets the embedded cluster when it asks for it and names no other one; then
# the cluster is started (or reused) first, for preview too (the provider talks to it).
local_cluster=$(pulumi config get --path cluster.local --stack "$stack" 2>/dev/null || true)
kubeconfig=$(pulumi config get --path cluster.kubeconfig --stack "$stack" 2>/dev/null || true)
render_to=$(pulumi config get --path cluster.renderTo --stack "$stack" 2>/dev/null || true)
config_file=()
if [ "$local_cluster" = "true" ] && [ -z "$kubeconfig" ] && [ -z "${KUBECONFIG:-}" ] && [ -z "$render_to" ]; then
  "$ROOT_DIR/scripts/cluster.sh" up
  # A pinned image that cannot be built here (LiteLLM) and cannot be pulled either: its
  # local stand-in is selected through its ordinary setting, in a copy of the stack's config
  # (the checkout stays clean), unless the stack sets that setting itself. The program runs
  # unchanged. LOCAL_STANDINS=0 turns this off (then such a pod cannot pull its image).
  if [ "${CLUSTER_NODE:-1}" = 1 ] && [ "${LOCAL_STANDINS:-1}" = 1 ] && [ -f "Pulumi.$stack.yaml" ]; then
    settings=$("$ROOT_DIR/scripts/images.sh" settings --address "$CLUSTER_RUN_DIR/containerd.sock" --ctr "$TOOLS_BIN/ctr") \
      || { echo "scripts/pulumi.sh: could not tell which images this node can pull (scripts/images.sh settings)" >&2; exit 1; }
    derived="$STATE_DIR/Pulumi.$stack.local-images.yaml"
    while IFS=$'\t' read -r setting standin; do
      [ -n "$setting" ] || continue
      [ -z "$(pulumi config get --path "$setting" --stack "$stack" 2>/dev/null)" ] || continue
      [ ${#config_file[@]} -gt 0 ] || { cp "Pulumi.$stack.yaml" "$derived"; config_file=(--config-file "$derived"); }
      pulumi config set --path "$setting" "$standin" --stack "$stack" "${config_file[@]}"
      echo "scripts/pulumi.sh: $setting: the pinned image cannot be pulled here; stack $stack runs the local stand-in $standin (docs/runbooks/local-images.md)" >&2
    done <<<"$settings"
  fi
fi

export GOGC="$PULUMI_GOGC"
# The Kubernetes provider writes the cluster's kubeconfig (credentials included) to a new
# $TMPDIR/kubeconfig* file each time it is configured and never deletes it
# (pulumi-kubernetes provider/pkg/provider/util.go): each run gets its own TMPDIR, removed
# when the run ends, so none piles up in /tmp.
run_tmp=$(mktemp -d "$STATE_DIR/tmp.pulumi.XXXXXX")
trap 'rm -rf "$run_tmp"' EXIT
export TMPDIR="$run_tmp"
policy=(--policy-pack "$TOOLS_BIN/cloud-codex-policy")
[ -n "${POLICY_PACK_CONFIG:-}" ] && policy+=(--policy-pack-config "$POLICY_PACK_CONFIG")
case "$op" in
  # A preview persists nothing, yet Pulumi serializes the whole state after every step and
  # discards it (pkg/backend/diy/backend.go: DiscardPersister): O(resources²) for nothing.
  preview) PULUMI_SKIP_CHECKPOINTS=true pulumi preview --stack "$stack" "${config_file[@]}" "${policy[@]}" --diff "$@" ;;
  # No --skip-preview: stack-level policies run in the preview phase, before anything
  # exists; skipping it would let them run only after the resources were created.
  up) pulumi up --stack "$stack" "${config_file[@]}" "${policy[@]}" --yes "$@" ;;
  refresh) pulumi refresh --stack "$stack" "${config_file[@]}" --yes "$@" ;;
  destroy) pulumi destroy --stack "$stack" "${config_file[@]}" --yes "$@" ;;
  *) echo "scripts/pulumi.sh: unknown operation '$op' (preview|up|destroy|refresh)" >&2; exit 2 ;;
esac
