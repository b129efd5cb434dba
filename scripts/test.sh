#!/usr/bin/env bash
# The README's test command (`make test`) runs this, and so does CI (.ci/run): toolchain
# (built or reused from the cache), lint, then every Go test — unit, policy, rotator, and
# the end-to-end suite in tests/ against the embedded API server with the real pulumi CLI.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT_DIR"
start=$SECONDS
scripts/tools.sh pulumi plugins policy kube staticcheck actionlint
scripts/lint.sh
echo "==> go test"
go test -count=1 -timeout 45m ./...
(cd tools/language-go && go test -count=1 ./buildcache/)
echo "==> all tests passed in $((SECONDS - start))s"
