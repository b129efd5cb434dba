#!/usr/bin/env bash
# Local stand-ins for the container images the program pins, for machines that cannot reach
# a container registry: built from Debian packages (debootstrap + apt-get in a chroot), npm
# and Go by the wrapper module tools/images (its catalog.go lists them), imported into
# containerd's k8s.io namespace under the exact references the program uses. Where the real
# image can be pulled, it is pulled instead. See docs/runbooks/local-images.md.
#
# Usage: scripts/images.sh build [--only REF]...      build every image tar (needs root)
#        scripts/images.sh import --address SOCK [--ctr PATH] [--snapshotter NAME] [--no-pull]
#                                                     make containerd have every image
#        scripts/images.sh settings --address SOCK [--ctr PATH]
#                                                     stack settings that must select a stand-in
#        scripts/images.sh list                       ref -> tar -> what it stands for
#
# Environment: CLOUD_CODEX_DEBIAN_MIRROR (debootstrap's mirror, default deb.debian.org),
# IMAGES_PULL_TIMEOUT (seconds a pull of a real image may take once its registry answered,
# default 900), IMAGES_QUIET=1 (build: say nothing about cached images).
set -euo pipefail
source "$(dirname "$0")/env.sh"

IMAGES_CACHE="$CLOUD_CODEX_CACHE/images"
MIRROR="${CLOUD_CODEX_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PULL_TIMEOUT="${IMAGES_PULL_TIMEOUT:-900}"
say() { echo "$*" >&2; }
fail() { say "images: $*"; exit 1; }

# The builder binary, keyed by a hash of its module's sources (as scripts/tools.sh keys
# its wrappers), so editing tools/images rebuilds it and an unchanged one is reused.
builder() {
  local hash dir
  hash=$(cd "$ROOT_DIR/tools/images" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -not -name '*_test.go' \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
  dir="$IMAGES_CACHE/bin/$hash"
  if [ ! -x "$dir/images" ]; then
    say "    building the image builder tools/images (cold: under 1 min)"
    mkdir -p "$dir"
    (cd "$ROOT_DIR/tools/images" && go build -trimpath -o "$dir/images.tmp" .) || fail "go build in tools/images"
    mv "$dir/images.tmp" "$dir/images"
  fi
  echo "$dir/images"
}

cmd_build() {
  [ "$(id -u)" = 0 ] || fail "build needs root (debootstrap, chroot, files owned by other users): sudo $0 build"
  ensure_debian_packages "the image builder" debootstrap:debootstrap || fail "installing debootstrap"
  for t in unshare chroot npm go; do
    command -v "$t" >/dev/null || fail "build needs '$t' on PATH (npm: apt-get install npm)"
  done
  local bin
  bin=$(builder)
  mkdir -p "$IMAGES_CACHE"
  # One build at a time per cache: two would share the work directories.
  exec 9>"$IMAGES_CACHE/.lock"
  flock -n 9 || { say "images: another build holds $IMAGES_CACHE/.lock; waiting"; flock 9; }
  local start=$SECONDS verbose=()
  [ "${IMAGES_QUIET:-0}" = 1 ] || verbose=(-v)
  "$bin" build -cache "$IMAGES_CACHE" -main-module "$ROOT_DIR" -mirror "$MIRROR" "${verbose[@]}" "$@"
  [ "${IMAGES_QUIET:-0}" = 1 ] || say "==> images ready in $((SECONDS - start))s"
}

cmd_list() {
  "$(builder)" list -cache "$IMAGES_CACHE" "$@"
}

# containerd_digest NAME: the manifest digest containerd has under NAME, or nothing.
containerd_digest() {
  "${CTR[@]}" images ls "name==$1" 2>/dev/null | awk -v n="$1" '$1 == n { print $3 }'
}

# containerd_args ARGS...: --address SOCK [--ctr PATH] [--snapshotter NAME] [--no-pull];
# sets CTR, snapshotter and pull, and checks that containerd answers.
containerd_args() {
  local address="" ctr=""
  snapshotter="" pull=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --address) address="$2"; shift 2 ;;
      --ctr) ctr="$2"; shift 2 ;;
      --snapshotter) snapshotter="$2"; shift 2 ;;
      --no-pull) pull=0; shift ;;
      *) fail "unknown argument '$1' (--address SOCK [--ctr PATH] [--snapshotter NAME] [--no-pull])" ;;
    esac
  done
  [ -n "$address" ] || fail "--address <containerd socket> is required"
  [ -S "$address" ] || fail "$address is not a socket (is containerd running?)"
  [ -n "$ctr" ] || ctr=$(command -v ctr) || fail "no ctr on PATH; pass --ctr <path>"
  CTR=("$ctr" --address "$address" --namespace k8s.io)
  "${CTR[@]}" version >/dev/null 2>&1 || fail "$ctr cannot talk to containerd at $address ($("${CTR[@]}" version 2>&1 | tail -1))"
}

# pull_real REF NAME: the real image into containerd when its registry answers (exit 1 when
# it does not, or the pull fails or outlasts IMAGES_PULL_TIMEOUT: the caller falls back to
# the stand-in).
pull_real() {
  local start=$SECONDS out
  "$bin" reachable -cache "$IMAGES_CACHE" -only "$1" 2>/dev/null || return 2
  say "images: $1: pulling the real image (up to ${PULL_TIMEOUT}s)"
  if out=$(timeout "$PULL_TIMEOUT" "${CTR[@]}" images pull "${unpack[@]}" "$2" 2>&1); then
    say "images: $1: pulled the real image ($((SECONDS - start))s)"
    return 0
  fi
  say "images: $1: pulling the real image failed or took over ${PULL_TIMEOUT}s ($(tail -1 <<<"$out")); using the local stand-in"
  return 1
}

cmd_import() {
  local snapshotter pull bin
  containerd_args "$@"
  bin=$(builder)

  local failed=() standins=() registry_down=0 ref name tar digest desc have start out
  local unpack=(--platform linux/amd64)
  [ -z "$snapshotter" ] || unpack+=(--snapshotter "$snapshotter")
  # 1. Which images come from a registry and which are local stand-ins. The list on fd 3,
  #    so nothing in the loop can read it from stdin.
  while IFS=$'\t' read -r -u 3 ref name tar digest desc; do
    # Images that exist only here, and images containerd already holds as the stand-in
    # (this machine was offline before: not asked again each time).
    if [[ "$ref" == cloud-codex.local/* ]] || [ $pull = 0 ] || [ $registry_down = 1 ] \
       || { [ "$digest" != "-" ] && [ "$(containerd_digest "$name")" = "$digest" ]; }; then
      standins+=("$ref")
      continue
    fi
    # The real image, when its registry answers; after one registry does not answer, none
    # is tried: no registry on this machine.
    local rc=0
    pull_real "$ref" "$name" || rc=$?
    [ $rc = 0 ] && continue
    if [ $rc = 2 ]; then
      registry_down=1
      say "images: no registry answered for $ref; using local stand-ins (scripts/images.sh list says what each is)"
    fi
    standins+=("$ref")
  done 3< <(cmd_list -tsv)
  [ ${#standins[@]} -gt 0 ] || return 0

  # 2. The stand-ins, built (only what changed since the last build: a stand-in built from
  #    this checkout's Go source follows that source) in one run, quiet when all are cached.
  local only=()
  for ref in "${standins[@]}"; do only+=(--only "$ref"); done
  IMAGES_QUIET=1 cmd_build "${only[@]}" || fail "building the local stand-ins (log above)"

  # 3. Imported where containerd holds something else (or nothing) under the name.
  while IFS=$'\t' read -r -u 3 ref name tar digest desc; do
    have=$(containerd_digest "$name")
    [ "$have" != "$digest" ] || continue
    start=$SECONDS
    # Pinned: the kubelet's image garbage collection never removes a stand-in, which could
    # not be pulled back.
    if ! out=$("${CTR[@]}" images import "${unpack[@]}" --label io.cri-containerd.pinned=pinned "$tar" 2>&1); then
      say "images: $ref: ctr images import $tar failed: $(tail -3 <<<"$out")"
      failed+=("$ref")
      continue
    fi
    have=$(containerd_digest "$name")
    if [ "$have" != "$digest" ]; then
      say "images: $ref: containerd has $name at '${have:-nothing}' after the import, expected $digest"
      failed+=("$ref")
      continue
    fi
    say "images: $ref: imported the local stand-in in $((SECONDS - start))s"
  done 3< <(cmd_list -tsv "${only[@]}")
  [ ${#failed[@]} -eq 0 ] || fail "not available in containerd: ${failed[*]} (see above)"
}

# settings --address SOCK [--ctr PATH]: one line "SETTING<TAB>STAND-IN" for each pinned
# image that cannot be built here (its stand-in is selected through a stack setting, e.g.
# litellm.image) and is neither in containerd nor pullable now; nothing for those that are.
cmd_settings() {
  local snapshotter pull bin setting real name standin list
  containerd_args "$@"
  bin=$(builder)
  local unpack=(--platform linux/amd64)
  list=$("$bin" standins -cache "$IMAGES_CACHE") || fail "listing the stand-ins selected through settings"
  while IFS=$'\t' read -r -u 3 setting real name standin; do
    [ -n "$setting" ] || continue
    [ -z "$(containerd_digest "$name")" ] || continue
    [ $pull = 1 ] && pull_real "$real" "$name" && continue
    printf '%s\t%s\n' "$setting" "$standin"
  done 3<<<"$list"
}

case "${1:-}" in
  build) shift; cmd_build "$@" ;;
  settings) shift; cmd_settings "$@" ;;
  import) shift; cmd_import "$@" ;;
  list) shift; cmd_list "$@" ;;
  *) say "usage: $0 build [--only REF]... | import --address SOCK [--ctr PATH] [--snapshotter NAME] [--no-pull] | settings --address SOCK [--ctr PATH] | list"; exit 2 ;;
esac
