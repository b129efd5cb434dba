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
  for t in debootstrap unshare chroot npm go; do
    command -v "$t" >/dev/null || fail "build needs '$t' on PATH (debootstrap: apt-get install debootstrap; npm: apt-get install npm)"
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

cmd_import() {
  local address="" ctr="" snapshotter="" pull=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --address) address="$2"; shift 2 ;;
      --ctr) ctr="$2"; shift 2 ;;
      --snapshotter) snapshotter="$2"; shift 2 ;;
      --no-pull) pull=0; shift ;;
      *) fail "import: unknown argument '$1' (--address SOCK [--ctr PATH] [--snapshotter NAME] [--no-pull])" ;;
    esac
  done
  [ -n "$address" ] || fail "import: --address <containerd socket> is required"
  [ -S "$address" ] || fail "import: $address is not a socket (is containerd running?)"
  [ -n "$ctr" ] || ctr=$(command -v ctr) || fail "import: no ctr on PATH; pass --ctr <path>"
  CTR=("$ctr" --address "$address" --namespace k8s.io)
  "${CTR[@]}" version >/dev/null 2>&1 || fail "import: $ctr cannot talk to containerd at $address ($("${CTR[@]}" version 2>&1 | tail -1))"
  local bin
  bin=$(builder)

  local failed=() registry_down=0 ref name tar digest desc have start out
  local unpack=(--platform linux/amd64)
  [ -z "$snapshotter" ] || unpack+=(--snapshotter "$snapshotter")
  # The list on fd 3, so nothing in the loop can read it from stdin.
  while IFS=$'\t' read -r -u 3 ref name tar digest desc; do
    # 1. containerd has this stand-in already.
    have=$(containerd_digest "$name")
    if [ "$digest" != "-" ] && [ "$have" = "$digest" ]; then
      continue
    fi
    # 2. The real image, when its registry answers (images that exist only here are never
    #    tried; after one registry does not answer, none is: no registry on this machine).
    if [ $pull = 1 ] && [ $registry_down = 0 ] && [[ "$ref" != cloud-codex.local/* ]]; then
      if "$bin" reachable -cache "$IMAGES_CACHE" -only "$ref" 2>/dev/null; then
        start=$SECONDS
        if out=$(timeout "$PULL_TIMEOUT" "${CTR[@]}" images pull "${unpack[@]}" "$name" 2>&1); then
          say "images: $ref: pulled the real image ($((SECONDS - start))s)"
          continue
        fi
        say "images: $ref: pulling the real image failed or took over ${PULL_TIMEOUT}s ($(tail -1 <<<"$out")); using the local stand-in"
      else
        registry_down=1
        say "images: no registry answered for $ref; importing local stand-ins (scripts/images.sh list says what each is)"
      fi
    fi
    # 3. The local stand-in: built if needed (quiet when cached), imported, checked.
    if ! IMAGES_QUIET=1 cmd_build --only "$ref"; then
      failed+=("$ref")
      continue
    fi
    IFS=$'\t' read -r ref name tar digest desc < <(cmd_list -tsv -only "$ref")
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
  done 3< <(cmd_list -tsv)
  [ ${#failed[@]} -eq 0 ] || fail "not available in containerd: ${failed[*]} (see above)"
}

case "${1:-}" in
  build) shift; cmd_build "$@" ;;
  import) shift; cmd_import "$@" ;;
  list) shift; cmd_list "$@" ;;
  *) say "usage: $0 build [--only REF]... | import --address SOCK [--ctr PATH] [--snapshotter NAME] [--no-pull] | list"; exit 2 ;;
esac
