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

TOOLS_QUIET=1 "$ROOT_DIR/scripts/tools.sh" pulumi plugins policy
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
if [ "$local_cluster" = "true" ] && [ -z "$kubeconfig" ] && [ -z "${KUBECONFIG:-}" ] && [ -z "$render_to" ]; then
  "$ROOT_DIR/scripts/cluster.sh" up
fi

export GOGC="$PULUMI_GOGC"
policy=(--policy-pack "$TOOLS_BIN/cloud-codex-policy")
[ -n "${POLICY_PACK_CONFIG:-}" ] && policy+=(--policy-pack-config "$POLICY_PACK_CONFIG")
case "$op" in
  # A preview persists nothing, yet Pulumi serializes the whole state after every step and
  # discards it (pkg/backend/diy/backend.go: DiscardPersister): O(resources²) for nothing.
  preview) PULUMI_SKIP_CHECKPOINTS=true exec pulumi preview --stack "$stack" "${policy[@]}" --diff "$@" ;;
  # No --skip-preview: stack-level policies run in the preview phase, before anything
  # exists; skipping it would let them run only after the resources were created.
  up) exec pulumi up --stack "$stack" "${policy[@]}" --yes "$@" ;;
  refresh) exec pulumi refresh --stack "$stack" --yes "$@" ;;
  destroy) exec pulumi destroy --stack "$stack" --yes "$@" ;;
  *) echo "scripts/pulumi.sh: unknown operation '$op' (preview|up|destroy|refresh)" >&2; exit 2 ;;
esac
