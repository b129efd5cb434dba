#!/usr/bin/env bash
# go vet and staticcheck over the project module (the tools/ wrapper modules only build
# upstream code), actionlint over the workflows.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$ROOT_DIR/scripts/tools.sh" staticcheck actionlint >/dev/null
cd "$ROOT_DIR"
echo "==> go vet"
go vet ./...
echo "==> staticcheck"
staticcheck ./...
echo "==> actionlint"
actionlint .github/workflows/*.yml
echo "==> lint clean"
