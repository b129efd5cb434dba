#!/bin/sh
# Installs the pinned codex CLI (and the runner's pinned npm packages) onto the agent's PVC,
# once per tool set: TOOLS_DIR is keyed by codex version and package list, so a restart
# reuses it and a version change installs next to it. Any failure fails the pod: an agent
# must never start on a half-installed or unpinned tool set.
set -eu
if [ -x "$TOOLS_DIR/node_modules/.bin/codex" ]; then
  echo "install-tools: reusing $TOOLS_DIR"
  exit 0
fi
echo "install-tools: installing @openai/codex@$CODEX_VERSION $RUNNER_PACKAGES into $TOOLS_DIR"
staging="$TOOLS_DIR.partial"
rm -rf "$staging"
mkdir -p "$staging"
# shellcheck disable=SC2086 # RUNNER_PACKAGES is a space-separated list of pinned specs
npm install --prefix "$staging" --no-audit --no-fund --omit=dev "@openai/codex@$CODEX_VERSION" $RUNNER_PACKAGES
"$staging/node_modules/.bin/codex" --version
mv "$staging" "$TOOLS_DIR"
echo "install-tools: done"
