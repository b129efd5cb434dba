#!/bin/sh
# Default runner: keeps the agent's pod up with codex installed and configured, until the
# platform's agent loop is configured (agents[].runner.command). `kubectl exec` into the
# pod and `codex exec "..."` works meanwhile, through LiteLLM.
echo "runner: no runner command configured (agents[].runner.command); idling. codex: $(command -v codex)"
while :; do sleep 3600; done
