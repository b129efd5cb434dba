#!/usr/bin/env bash
# gofmt over every Go file, go vet and staticcheck over the project module and our own programs
# among the tools/ wrapper modules (the language host's front, the node's config renderer and
# CRI drain, the image builder; the rest only build upstream code), actionlint over the
# workflows, bash -n over the scripts.
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
for m in tools/node tools/images; do [ -f "$m/go.mod" ] && (cd "$m" && go vet ./...); done
echo "==> staticcheck"
staticcheck ./...
(cd tools/language-go && staticcheck ./buildcache/)
for m in tools/node tools/images; do [ -f "$m/go.mod" ] && (cd "$m" && staticcheck ./...); done
echo "==> bash -n"
for f in scripts/*.sh .ci/run; do bash -n "$f"; done
echo "==> actionlint"
actionlint .github/workflows/*.yml
echo "==> lint clean"
