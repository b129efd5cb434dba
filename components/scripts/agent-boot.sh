#!/bin/sh
# Boot step of a cloud-codex agent, then exec of the runner. It never writes config by
# expanding text: config.toml and the platform CLI's files were rendered by the Pulumi
# program; config.toml is copied verbatim and the CLI's files get their token from
# agent-identity.js (a JSON encoder).
set -eu
config_dir="${CLOUD_CODEX_CONFIG_DIR:-/etc/cloud-codex/config}"
scripts_dir="${CLOUD_CODEX_SCRIPTS_DIR:-/etc/cloud-codex/scripts}"
mkdir -p "$CODEX_HOME"
# A writable copy: codex rewrites config.toml in some flows and crashed on a read-only one.
cp "$config_dir/config.toml" "$CODEX_HOME/config.toml"
# ADR-014: the agent holds no ChatGPT credential. Remove any stray one (e.g. from a manual
# `codex login` in a debug shell) so codex cannot bypass LiteLLM.
if [ -e "$CODEX_HOME/auth.json" ]; then
  echo "boot: removing stray $CODEX_HOME/auth.json (agents never hold ChatGPT credentials)" >&2
  rm -f "$CODEX_HOME/auth.json"
fi
node "$scripts_dir/agent-identity.js"
if [ -z "${LITELLM_API_KEY:-}" ]; then
  # What codex 0.171.0 really does with an empty or unset env_key variable: it sends nothing
  # and fails every turn with exactly the quoted message (TestRealCodexWithoutLiteLLMKey
  # runs the real CLI and checks the quote; docs/upstream-facts-cited.md has the source).
  echo "boot: WARNING: LITELLM_API_KEY is empty: Secret ${LITELLM_KEY_SECRET:-?} is missing or has no such key." >&2
  echo 'boot: WARNING: codex will refuse every model call with "Missing environment variable: `LITELLM_API_KEY`."' >&2
  echo "boot: WARNING: (no request reaches LiteLLM). Create the Secret (stack output 'nextSteps'), then restart this pod:" >&2
  echo "boot: WARNING: the key is read once, when the container starts." >&2
fi
export LITELLM_API_KEY="${LITELLM_API_KEY:-}"
PATH="$TOOLS_DIR/node_modules/.bin:$PATH"
# agents[].runner.git: the runner's commands, linked by the install step.
if [ -n "${RUNNER_DIR:-}" ]; then
  PATH="$RUNNER_DIR/bin:$PATH"
fi
export PATH
echo "boot: starting runner: $*"
exec "$@"
