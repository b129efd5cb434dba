#!/usr/bin/env bash
# Builds the offline Pulumi toolchain (and, with `kube`, the local cluster's binaries) from
# the wrapper modules under tools/, at pinned versions, into $CLOUD_CODEX_CACHE keyed by
# version and by a hash of the wrapper module, then links them into $STATE_DIR/bin and
# installs the provider plugins into $PULUMI_HOME under their exact versions.
#
# Usage: scripts/tools.sh [step...]   steps: pulumi plugins policy kube staticcheck actionlint
#        (default: pulumi plugins policy)
# Idempotent: a step whose binaries exist for its key takes well under a second.
set -euo pipefail
source "$(dirname "$0")/env.sh"

step_name=""
fail() { echo "tools: step '$step_name' failed: $*" >&2; exit 1; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -n "$step_name" ] && echo "tools: step \"$step_name\" failed (exit $rc); log above" >&2' EXIT

# run_step NAME FUNCTION: prints the step and how long it took.
run_step() {
  step_name="$1"
  local start=$SECONDS
  echo "==> $1"
  "$2"
  echo "    $1: done in $((SECONDS - start))s"
  step_name=""
}

# key DIR VERSION: version plus a short hash of the wrapper module's sources, so editing a
# wrapper rebuilds and a fresh clone of the same commit reuses the cache.
key() {
  local hash
  hash=$(cd "$ROOT_DIR/$1" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -not -name '*-embed.json' \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
  echo "$2-$hash"
}

go_build() { # DIR OUT PKG [ldflags...]
  local dir=$1 out=$2 pkg=$3 start=$SECONDS; shift 3
  (cd "$ROOT_DIR/$dir" && go build -trimpath -ldflags "-s -w $*" -o "$out.tmp" "$pkg") || fail "go build $pkg"
  mv "$out.tmp" "$out"
  echo "    built $(basename "$out") in $((SECONDS - start))s"
}

link() { mkdir -p "$TOOLS_BIN"; ln -sfn "$1" "$TOOLS_BIN/$(basename "$1")"; }

build_pulumi() {
  local existing outside_path
  # An installed pulumi is honoured only at the pinned version; its own bundled language
  # host comes with it. Our own link in $TOOLS_BIN (possibly on PATH more than once) is not
  # an installed pulumi.
  outside_path=$(tr ':' '\n' <<<"$PATH" | grep -vxF "$TOOLS_BIN" | paste -sd: -)
  if existing=$(PATH="$outside_path" command -v pulumi 2>/dev/null) \
     && [[ "$(readlink -f "$existing")" != "$CLOUD_CODEX_CACHE"/* ]] \
     && [ "$("$existing" version 2>/dev/null)" = "$PULUMI_VERSION" ]; then
    echo "    using installed $existing ($PULUMI_VERSION)"
    link "$existing"
    return
  fi
  local dir="$CLOUD_CODEX_CACHE/pulumi/$(key tools/pulumi "$PULUMI_VERSION")-$(key tools/language-go "$PULUMI_LANGUAGE_GO_VERSION")"
  mkdir -p "$dir"
  if [ ! -x "$dir/pulumi" ]; then
    echo "    building pulumi $PULUMI_VERSION (cold: ~4-12 min)"
    go_build tools/pulumi "$dir/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  fi
  # Next to the CLI is where the CLI looks for a bundled language host. What it finds there
  # is tools/language-go/buildcache, which starts the real host with a fixed build target
  # per program directory so unchanged programs are not relinked on every run.
  if [ ! -x "$dir/pulumi-language-go-host" ]; then
    echo "    building pulumi-language-go $PULUMI_LANGUAGE_GO_VERSION (cold: under 1 min)"
    go_build tools/language-go "$dir/pulumi-language-go-host" github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go
  fi
  if [ ! -x "$dir/pulumi-language-go" ]; then
    go_build tools/language-go "$dir/pulumi-language-go" ./buildcache
  fi
  [ "$("$dir/pulumi" version)" = "$PULUMI_VERSION" ] || fail "pulumi version is '$("$dir/pulumi" version)', want $PULUMI_VERSION"
  link "$dir/pulumi"
}

build_kubernetes_provider() {
  local dir="$CLOUD_CODEX_CACHE/plugins/kubernetes-$(key tools/kubernetes-provider "$KUBERNETES_PROVIDER_VERSION")"
  local bin="$dir/pulumi-resource-kubernetes"
  if [ ! -x "$bin" ]; then
    echo "    building pulumi-resource-kubernetes $KUBERNETES_PROVIDER_VERSION (cold: ~8-14 min)"
    mkdir -p "$dir"
    local moddir
    moddir=$(cd "$ROOT_DIR/tools/kubernetes-provider" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4) \
      || fail "locating the kubernetes provider module"
    (cd "$ROOT_DIR/tools/kubernetes-provider" && go run ./gen -module-dir "$moddir" -version "$KUBERNETES_PROVIDER_VERSION" \
      -out cmd/pulumi-resource-kubernetes) || fail "generating the embedded schema"
    go_build tools/kubernetes-provider "$bin" ./cmd/pulumi-resource-kubernetes \
      "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION"
  fi
  install_plugin kubernetes "$KUBERNETES_PROVIDER_VERSION" "$bin"
}

build_random_provider() {
  local dir="$CLOUD_CODEX_CACHE/plugins/random-$(key tools/random-provider "$RANDOM_PROVIDER_VERSION")"
  local bin="$dir/pulumi-resource-random"
  if [ ! -x "$bin" ]; then
    echo "    building pulumi-resource-random $RANDOM_PROVIDER_VERSION (cold: ~2-8 min)"
    mkdir -p "$dir"
    local w="$ROOT_DIR/tools/random-provider" ld="-X cloud-codex/tools/random-provider/info.Version=$RANDOM_PROVIDER_VERSION"
    # tfgen needs the embedded files to exist to compile the provider package; it is a
    # separate main package, so placeholders are enough until it writes the real ones.
    go_build tools/random-provider "$dir/pulumi-tfgen-random" ./cmd/pulumi-tfgen-random "$ld"
    (cd "$w" && "$dir/pulumi-tfgen-random" schema --skip-examples --out "$w/cmd/pulumi-resource-random") \
      || fail "pulumi-tfgen-random schema"
    go_build tools/random-provider "$bin" ./cmd/pulumi-resource-random "$ld"
  fi
  install_plugin random "$RANDOM_PROVIDER_VERSION" "$bin"
}

# install_plugin NAME VERSION BIN: into $PULUMI_HOME under the exact version the SDK asks
# for, so the CLI finds it without ambient lookups or version warnings.
install_plugin() {
  if [ -x "$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1" ] \
     && cmp -s "$3" "$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1"; then
    echo "    plugin $1 $2 already installed"
    return
  fi
  pulumi plugin install resource "$1" "$2" --file "$3" --reinstall >/dev/null || fail "pulumi plugin install $1 $2"
  echo "    installed plugin $1 $2"
}

build_plugins() {
  build_kubernetes_provider
  build_random_provider
}

build_policy() {
  # The pack is part of the main module (it shares the config models); the Go build cache
  # makes this a link when nothing changed.
  mkdir -p "$TOOLS_BIN"
  (cd "$ROOT_DIR" && go build -o "$TOOLS_BIN/cloud-codex-policy.tmp" ./policy) || fail "go build ./policy"
  mv "$TOOLS_BIN/cloud-codex-policy.tmp" "$TOOLS_BIN/cloud-codex-policy"
}

build_kube() {
  local dir="$CLOUD_CODEX_CACHE/kube/$(key tools/kube "$KUBERNETES_VERSION-etcd-$ETCD_VERSION")"
  mkdir -p "$dir"
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ver=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ver="$ver -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  for cmd in kube-apiserver kube-controller-manager kubectl; do
    if [ ! -x "$dir/$cmd" ]; then
      echo "    building $cmd $KUBERNETES_VERSION (cold: 1-16 min)"
      go_build tools/kube "$dir/$cmd" "k8s.io/kubernetes/cmd/$cmd" "$ver"
    fi
    link "$dir/$cmd"
  done
  if [ ! -x "$dir/etcd" ]; then
    echo "    building etcd $ETCD_VERSION (cold: under 1 min)"
    go_build tools/kube "$dir/etcd" ./cmd/etcd
  fi
  link "$dir/etcd"
}

build_staticcheck() { build_go_tool tools/lint staticcheck honnef.co/go/tools/cmd/staticcheck; }
build_actionlint() { build_go_tool tools/lint actionlint github.com/rhysd/actionlint/cmd/actionlint; }
build_go_tool() { # DIR NAME PKG
  local dir="$CLOUD_CODEX_CACHE/lint/$(key "$1" "$2")"
  mkdir -p "$dir"
  [ -x "$dir/$2" ] || go_build "$1" "$dir/$2" "$3"
  link "$dir/$2"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(pulumi plugins policy)
total=$SECONDS
for s in "${steps[@]}"; do
  case "$s" in
    pulumi) run_step "pulumi $PULUMI_VERSION + language host" build_pulumi ;;
    plugins) run_step "provider plugins" build_plugins ;;
    policy) run_step "policy pack" build_policy ;;
    kube) run_step "kube-apiserver/controller-manager/kubectl $KUBERNETES_VERSION, etcd $ETCD_VERSION" build_kube ;;
    staticcheck) run_step staticcheck build_staticcheck ;;
    actionlint) run_step actionlint build_actionlint ;;
    *) echo "tools: unknown step '$s' (steps: pulumi plugins policy kube staticcheck actionlint)" >&2; exit 2 ;;
  esac
done
echo "==> toolchain ready in $((SECONDS - total))s"
