#!/usr/bin/env bash
# go vet and staticcheck over the project module and our one program among the tools/
# wrapper modules (the language host's front; the rest only build upstream code), actionlint
# over the workflows.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$ROOT_DIR/scripts/tools.sh" staticcheck actionlint >/dev/null
cd "$ROOT_DIR"
echo "==> go vet"
go vet ./...
(cd tools/language-go && go vet ./buildcache/)
echo "==> staticcheck"
staticcheck ./...
(cd tools/language-go && staticcheck ./buildcache/)
echo "==> actionlint"
actionlint .github/workflows/*.yml
echo "==> lint clean"
