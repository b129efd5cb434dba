#!/bin/sh
# Installs agents[].runner.git onto the agent's state volume, once per commit: fetch the one
# pinned commit, run the install command (this script's arguments) in the package's
# directory, link the package's `bin` entries into $RUNNER_DIR/bin. RUNNER_DIR is keyed by
# the commit and what shapes the install, so a restart reuses it and a new commit installs
# next to it. Any failure fails the pod: an agent never starts on a half-installed runner
# or on a commit other than the pinned one.
set -eu
: "${RUNNER_GIT_URL:?}" "${RUNNER_GIT_REF:?}" "${RUNNER_GIT_PATH:?}" "${RUNNER_DIR:?}"
if [ "$#" -eq 0 ]; then
  echo "install-runner: no install command given" >&2
  exit 2
fi
case "$RUNNER_GIT_REF" in
  *[!0-9a-f]*) ok=no ;;
  *) ok=yes ;;
esac
if [ "$ok" != yes ] || { [ "${#RUNNER_GIT_REF}" -ne 40 ] && [ "${#RUNNER_GIT_REF}" -ne 64 ]; }; then
  echo "install-runner: ref '$RUNNER_GIT_REF' is not a full commit SHA; refusing to install a moving ref" >&2
  exit 2
fi
if [ -f "$RUNNER_DIR/.installed" ]; then
  echo "install-runner: reusing $RUNNER_DIR ($RUNNER_GIT_URL at $RUNNER_GIT_REF)"
  exit 0
fi
echo "install-runner: installing $RUNNER_GIT_URL at $RUNNER_GIT_REF ($RUNNER_GIT_PATH) into $RUNNER_DIR"
staging="$RUNNER_DIR.partial"
rm -rf "$staging" "$RUNNER_DIR"
mkdir -p "$staging/src"
git -C "$staging/src" init -q
git -C "$staging/src" remote add origin "$RUNNER_GIT_URL"
# One commit, no history: servers that speak protocol v2 (GitHub does) serve any commit by id.
git -C "$staging/src" fetch -q --depth 1 origin "$RUNNER_GIT_REF"
git -C "$staging/src" -c advice.detachedHead=false checkout -q --detach FETCH_HEAD
got="$(git -C "$staging/src" rev-parse HEAD)"
if [ "$got" != "$RUNNER_GIT_REF" ]; then
  echo "install-runner: fetched $got, not the pinned $RUNNER_GIT_REF" >&2
  exit 1
fi
workdir="$staging/src/$RUNNER_GIT_PATH"
if [ ! -d "$workdir" ]; then
  echo "install-runner: $RUNNER_GIT_PATH is not a directory at $RUNNER_GIT_REF" >&2
  exit 1
fi
(cd "$workdir" && "$@")
node "$(dirname "$0")/agent-runner-bins.js" "$workdir" "$staging/bin"
touch "$staging/.installed"
mv "$staging" "$RUNNER_DIR"
echo "install-runner: done; commands in $RUNNER_DIR/bin: $(ls "$RUNNER_DIR/bin" | tr '\n' ' ')"
