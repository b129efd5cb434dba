#!/bin/sh
# Boot step of a cloud-codex agent, then exec of the runner. It never writes config by
# expanding text: config.toml was rendered by the Pulumi program and is copied verbatim,
# and the identity file is written by a JSON encoder (agent-identity.js).
set -eu
mkdir -p "$CODEX_HOME"
# A writable copy: codex rewrites config.toml in some flows and crashed on a read-only one.
cp /etc/cloud-codex/config/config.toml "$CODEX_HOME/config.toml"
# ADR-014: the agent holds no ChatGPT credential. Remove any stray one (e.g. from a manual
# `codex login` in a debug shell) so codex cannot bypass LiteLLM.
if [ -e "$CODEX_HOME/auth.json" ]; then
  echo "boot: removing stray $CODEX_HOME/auth.json (agents never hold ChatGPT credentials)" >&2
  rm -f "$CODEX_HOME/auth.json"
fi
node /etc/cloud-codex/scripts/agent-identity.js
if [ -z "${LITELLM_API_KEY:-}" ]; then
  echo "boot: WARNING: LITELLM_API_KEY is empty: Secret ${LITELLM_KEY_SECRET:-?} is missing." >&2
  echo "boot: WARNING: every model call will fail with 401 until it exists; see the stack output 'nextSteps'." >&2
fi
export LITELLM_API_KEY="${LITELLM_API_KEY:-}"
export PATH="$TOOLS_DIR/node_modules/.bin:$PATH"
echo "boot: starting runner: $*"
exec "$@"
