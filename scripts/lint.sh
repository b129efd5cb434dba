#!/usr/bin/env bash
# gofmt over every Go file, go vet and staticcheck over the project module and our one program among the tools/
# wrapper modules (the language host's front; the rest only build upstream code), actionlint
# over the workflows.
set -euo pipefail
source "$(dirname "$0")/env.sh"
TOOLS_QUIET=1 "$ROOT_DIR/scripts/tools.sh" staticcheck actionlint
cd "$ROOT_DIR"
echo "==> gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: run 'gofmt -w' on:" >&2
  echo "$unformatted" >&2
  exit 1
fi
echo "==> go vet"
go vet ./...
(cd tools/language-go && go vet ./buildcache/)
echo "==> staticcheck"
staticcheck ./...
(cd tools/language-go && staticcheck ./buildcache/)
echo "==> actionlint"
actionlint .github/workflows/*.yml
echo "==> lint clean"
