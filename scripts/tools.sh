#!/usr/bin/env bash
# Builds the offline Pulumi toolchain (and, with `kube`, the local cluster's binaries) from
# the wrapper modules under tools/, at pinned versions, into $CLOUD_CODEX_CACHE keyed by
# version and by a hash of the wrapper module, then links them into $STATE_DIR/bin and
# installs the provider plugins into $PULUMI_HOME under their exact versions.
#
# Usage: scripts/tools.sh [step...]   steps: pulumi plugins policy kube node staticcheck actionlint
#        (node = node-kube + node-runtime)
#        (default: pulumi plugins policy)
# Idempotent: a step whose binaries exist for its key takes well under a second.
set -euo pipefail
source "$(dirname "$0")/env.sh"

# Progress goes to stderr, so callers that only want the result (scripts/pulumi.sh) still
# show a person what a cold build is doing. TOOLS_QUIET=1: a step that finds everything
# built prints nothing; a step that builds prints one line as it starts (what, and its usual
# cold time) and one as it ends (time taken).
QUIET="${TOOLS_QUIET:-0}"
say() { echo "$*" >&2; }
step_name=""
fail() { say "tools: step '$step_name' failed: $*"; exit 1; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -n "$step_name" ] && echo "tools: step \"$step_name\" failed (exit $rc); log above" >&2' EXIT

# run_step NAME FUNCTION: prints the step and how long it took (in quiet mode only when it
# built something).
built_something=0
run_step() {
  step_name="$1"
  built_something=0
  local start=$SECONDS
  [ "$QUIET" = 1 ] || say "==> $1"
  "$2"
  if [ "$QUIET" != 1 ] || [ $built_something = 1 ]; then say "    $1: done in $((SECONDS - start))s"; fi
  step_name=""
}

# ensure_modules DIR WHAT COLD: the wrapper module's dependencies in the module cache. Checked
# offline first (a warm cache answers in about a second); otherwise downloaded with a line
# saying so, instead of a build that silently stalls on `go: downloading`.
ensure_modules() {
  (cd "$ROOT_DIR/$1" && GOPROXY=off GOFLAGS=-mod=mod go mod download >/dev/null 2>&1) && return
  built_something=1
  local start=$SECONDS
  say "    downloading Go modules for $2 (cold: $3)"
  (cd "$ROOT_DIR/$1" && go mod download) || fail "go mod download in $1 (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
  say "    downloaded modules for $2 in $((SECONDS - start))s"
}

# key DIR VERSION: version plus a short hash of the wrapper module's sources, so editing a
# wrapper rebuilds and a fresh clone of the same commit reuses the cache.
key() {
  local hash
  hash=$(cd "$ROOT_DIR/$1" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -not -name '*-embed.json' \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
  echo "$2-$hash"
}

go_build() { # DIR OUT PKG [ldflags...]   (GO_TAGS: build tags)
  local dir=$1 out=$2 pkg=$3 start=$SECONDS; shift 3
  (cd "$ROOT_DIR/$dir" && go build -trimpath ${GO_TAGS:+-tags "$GO_TAGS"} -ldflags "-s -w $*" -o "$out.tmp" "$pkg") || fail "go build $pkg"
  mv "$out.tmp" "$out"
  built_something=1
  say "    built $(basename "$out") in $((SECONDS - start))s"
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
    [ "$QUIET" = 1 ] || say "    using installed $existing ($PULUMI_VERSION)"
    link "$existing"
    return
  fi
  local dir="$CLOUD_CODEX_CACHE/pulumi/$(key tools/pulumi "$PULUMI_VERSION")-$(key tools/language-go "$PULUMI_LANGUAGE_GO_VERSION")"
  mkdir -p "$dir"
  if [ ! -x "$dir/pulumi" ]; then
    ensure_modules tools/pulumi "pulumi $PULUMI_VERSION" "~1-2 min"
    say "    building pulumi $PULUMI_VERSION (cold: ~4-12 min)"
    go_build tools/pulumi "$dir/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  fi
  # Next to the CLI is where the CLI looks for a bundled language host. What it finds there
  # is tools/language-go/buildcache, which starts the real host with a fixed build target
  # per program directory so unchanged programs are not relinked on every run.
  if [ ! -x "$dir/pulumi-language-go-host" ]; then
    ensure_modules tools/language-go "pulumi-language-go $PULUMI_LANGUAGE_GO_VERSION" "under 1 min"
    say "    building pulumi-language-go $PULUMI_LANGUAGE_GO_VERSION (cold: under 1 min)"
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
    say "    building pulumi-resource-kubernetes $KUBERNETES_PROVIDER_VERSION (cold: ~8-14 min)"
    mkdir -p "$dir"
    ensure_modules tools/kubernetes-provider "pulumi-resource-kubernetes $KUBERNETES_PROVIDER_VERSION" "~1-2 min"
    local moddir
    moddir=$(module_dir tools/kubernetes-provider github.com/pulumi/pulumi-kubernetes/provider/v4) || fail "locating the kubernetes provider module"
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
    say "    building pulumi-resource-random $RANDOM_PROVIDER_VERSION (cold: ~2-8 min)"
    mkdir -p "$dir"
    ensure_modules tools/random-provider "pulumi-resource-random $RANDOM_PROVIDER_VERSION" "~1 min"
    local w="$ROOT_DIR/tools/random-provider" ld="-X cloud-codex/tools/random-provider/info.Version=$RANDOM_PROVIDER_VERSION"
    # tfgen needs the embedded files to exist to compile the provider package; it is a
    # separate main package, so placeholders are enough until it writes the real ones.
    go_build tools/random-provider "$dir/pulumi-tfgen-random" ./cmd/pulumi-tfgen-random "$ld"
    # tfgen prints a page of doc-coverage statistics and a warning that the upstream docs
    # are not on disk (we skip them): kept in a log, shown only if it fails.
    (cd "$w" && "$dir/pulumi-tfgen-random" schema --skip-examples --out "$w/cmd/pulumi-resource-random") \
      >"$dir/tfgen.log" 2>&1 || { tail -30 "$dir/tfgen.log" >&2; fail "pulumi-tfgen-random schema (log: $dir/tfgen.log)"; }
    go_build tools/random-provider "$bin" ./cmd/pulumi-resource-random "$ld"
  fi
  install_plugin random "$RANDOM_PROVIDER_VERSION" "$bin"
}

# install_plugin NAME VERSION BIN: into $PULUMI_HOME under the exact version the SDK asks
# for, so the CLI finds it without ambient lookups or version warnings.
install_plugin() {
  if [ -x "$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1" ] \
     && cmp -s "$3" "$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1"; then
    [ "$QUIET" = 1 ] || say "    plugin $1 $2 already installed"
    return
  fi
  pulumi plugin install resource "$1" "$2" --file "$3" --reinstall >/dev/null || fail "pulumi plugin install $1 $2"
  built_something=1
  say "    installed plugin $1 $2"
}

build_plugins() {
  build_kubernetes_provider
  build_random_provider
}

build_policy() {
  # The pack is part of the main module (it shares the config models); the Go build cache
  # makes this a link when nothing changed.
  mkdir -p "$TOOLS_BIN"
  ensure_modules . "the project (policy pack, program)" "~1 min"
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
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    if [ ! -x "$dir/$cmd" ]; then
      ensure_modules tools/kube "Kubernetes $KUBERNETES_VERSION" "~1-3 min"
      say "    building $cmd $KUBERNETES_VERSION (cold: 1-16 min)"
      go_build tools/kube "$dir/$cmd" "k8s.io/kubernetes/cmd/$cmd" "$ver"
    fi
    link "$dir/$cmd"
  done
  if [ ! -x "$dir/etcd" ]; then
    say "    building etcd $ETCD_VERSION (cold: under 1 min)"
    go_build tools/kube "$dir/etcd" ./cmd/etcd
  fi
  link "$dir/etcd"
}

# The embedded cluster's node: kubelet and kube-proxy from the same wrapper as the control
# plane; containerd 2.x with its runc shim and ctr; CoreDNS; Rancher's
# local-path-provisioner; kube-network-policies (NetworkPolicy); the project's node-config and
# cri-drain. runc, the CNI plugins,
# iptables and conntrack come from Debian's packages (installed here when missing).
build_node() {
  build_node_kube
  build_node_runtime
}

build_node_kube() {
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ver="" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ver="$ver -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  local kdir="$CLOUD_CODEX_CACHE/kube/$(key tools/kube "$KUBERNETES_VERSION-etcd-$ETCD_VERSION")" cmd
  mkdir -p "$kdir"
  for cmd in kubelet kube-proxy; do
    if [ ! -x "$kdir/$cmd" ]; then
      ensure_modules tools/kube "Kubernetes $KUBERNETES_VERSION" "~1-3 min"
      say "    building $cmd $KUBERNETES_VERSION (cold: 2-8 min)"
      go_build tools/kube "$kdir/$cmd" "k8s.io/kubernetes/cmd/$cmd" "$ver"
    fi
    link "$kdir/$cmd"
  done
}

build_node_runtime() {
  node_packages
  local cmd
  local cdir="$CLOUD_CODEX_CACHE/containerd/$(key tools/containerd "$CONTAINERD_VERSION")"
  mkdir -p "$cdir"
  for cmd in containerd containerd-shim-runc-v2 ctr; do
    if [ ! -x "$cdir/$cmd" ]; then
      ensure_modules tools/containerd "containerd $CONTAINERD_VERSION" "~1 min"
      say "    building $cmd $CONTAINERD_VERSION (cold: 1-4 min)"
      # Static, without the btrfs snapshotter (cgo, and unused: overlayfs is the snapshotter).
      CGO_ENABLED=0 GO_TAGS=no_btrfs go_build tools/containerd "$cdir/$cmd" "github.com/containerd/containerd/v2/cmd/$cmd" \
        "-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION"
    fi
    link "$cdir/$cmd"
  done
  build_static_tool tools/coredns coredns "$COREDNS_VERSION" . "1-3 min"
  build_static_tool tools/local-path local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" github.com/rancher/local-path-provisioner "1-2 min"
  build_static_tool tools/netpol kube-network-policies "$KUBE_NETWORK_POLICIES_VERSION" . "1-3 min"
  local ndir="$CLOUD_CODEX_CACHE/node/$(key tools/node "$KUBERNETES_VERSION")"
  mkdir -p "$ndir"
  for cmd in node-config cri-drain; do
    if [ ! -x "$ndir/$cmd" ]; then
      ensure_modules tools/node "node-config" "under 1 min"
      say "    building $cmd (cold: under 2 min)"
      go_build tools/node "$ndir/$cmd" "./cmd/$cmd"
    fi
    link "$ndir/$cmd"
  done
}

# build_static_tool DIR BIN VERSION PKG COLD: one static binary from a wrapper module, cached
# under $CLOUD_CODEX_CACHE/<DIR's last element>/<VERSION and the wrapper's hash>.
build_static_tool() {
  local dir=$1 bin=$2 version=$3 pkg=$4 cold=$5
  local out
  out="$CLOUD_CODEX_CACHE/${dir##*/}/$(key "$dir" "$version")"
  mkdir -p "$out"
  if [ ! -x "$out/$bin" ]; then
    ensure_modules "$dir" "$bin $version" "under 1 min"
    say "    building $bin $version (cold: $cold)"
    CGO_ENABLED=0 go_build "$dir" "$out/$bin" "$pkg"
  fi
  link "$out/$bin"
}

# Debian packages the node runs: runc, the CNI plugins, iptables (kube-proxy and the bridge
# plugin's NAT) and conntrack (kube-proxy).
node_packages() {
  DEBIAN_INSTALLED=0
  ensure_debian_packages "the node" runc:runc /usr/lib/cni/bridge:containernetworking-plugins iptables:iptables conntrack:conntrack \
    || fail "installing the node's Debian packages"
  [ "$DEBIAN_INSTALLED" = 0 ] || built_something=1
}

build_staticcheck() { build_go_tool tools/lint staticcheck honnef.co/go/tools/cmd/staticcheck; }
build_actionlint() { build_go_tool tools/lint actionlint github.com/rhysd/actionlint/cmd/actionlint; }
build_go_tool() { # DIR NAME PKG
  local dir="$CLOUD_CODEX_CACHE/lint/$(key "$1" "$2")"
  mkdir -p "$dir"
  if [ ! -x "$dir/$2" ]; then
    ensure_modules "$1" "$2" "under 1 min"
    say "    building $2 (cold: under 2 min)"
    go_build "$1" "$dir/$2" "$3"
  fi
  link "$dir/$2"
}

# run_named STEP: one step, by the name callers use.
run_named() {
  case "$1" in
    pulumi) run_step "pulumi $PULUMI_VERSION + language host" build_pulumi ;;
    plugins) run_step "provider plugins" build_plugins ;;
    policy) run_step "policy pack" build_policy ;;
    kube) run_step "kube-apiserver/controller-manager/scheduler/kubectl $KUBERNETES_VERSION, etcd $ETCD_VERSION" build_kube ;;
    node) run_step "node: kubelet/kube-proxy $KUBERNETES_VERSION, containerd $CONTAINERD_VERSION, CoreDNS $COREDNS_VERSION, local-path-provisioner $LOCAL_PATH_PROVISIONER_VERSION, kube-network-policies $KUBE_NETWORK_POLICIES_VERSION" build_node ;;
    node-kube) run_step "node: kubelet/kube-proxy $KUBERNETES_VERSION" build_node_kube ;;
    node-runtime) run_step "node: containerd $CONTAINERD_VERSION, CoreDNS $COREDNS_VERSION, local-path-provisioner $LOCAL_PATH_PROVISIONER_VERSION, kube-network-policies $KUBE_NETWORK_POLICIES_VERSION, Debian packages" build_node_runtime ;;
    staticcheck) run_step staticcheck build_staticcheck ;;
    actionlint) run_step actionlint build_actionlint ;;
  esac
}

# kill_tree PID: the process and everything it started (a lane's go build and its compilers).
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(pulumi plugins policy)
for s in "${steps[@]}"; do
  case "$s" in
    pulumi|plugins|policy|kube|node|node-kube|node-runtime|staticcheck|actionlint) ;;
    *) say "tools: unknown step '$s' (steps: pulumi plugins policy kube node node-kube node-runtime staticcheck actionlint)" ; exit 2 ;;
  esac
done

# Two lanes that share nothing but the Go build and module caches: the Pulumi toolchain (the
# plugins are installed with the CLI it builds) and the cluster's binaries. A cold build
# spends much of its time where one lane leaves a core idle (a link, a package everything
# else waits for, a download), so whenever both lanes are asked for they run side by side (a
# warm lane returns in a second). TOOLS_JOBS=1 runs them one after the other (a link peaks at ~2.4 GB, two at once
# at ~5 GB). Within a lane the order is the callers'.
lane_toolchain=() lane_cluster=()
for s in "${steps[@]}"; do
  case "$s" in
    kube|node|node-kube|node-runtime) lane_cluster+=("$s") ;;
    *) lane_toolchain+=("$s") ;;
  esac
done
case "${TOOLS_JOBS:-2}" in
  ''|*[!0-9]*|0) say "tools: TOOLS_JOBS='${TOOLS_JOBS}' is not a positive whole number: unset it (two build lanes side by side) or set TOOLS_JOBS=1 (one after the other)"; exit 2 ;;
esac
total=$SECONDS
if [ "${TOOLS_JOBS:-2}" -ge 2 ] && [ ${#lane_toolchain[@]} -gt 0 ] && [ ${#lane_cluster[@]} -gt 0 ]; then
  # A lane's own EXIT trap names its failing step (subshells do not inherit the trap).
  run_lane() {
    trap 'rc=$?; [ $rc -ne 0 ] && [ -n "$step_name" ] && echo "tools: step \"$step_name\" failed (exit $rc); log above" >&2' EXIT
    local s
    for s in "$@"; do run_named "$s"; done
  }
  run_lane "${lane_toolchain[@]}" & pid_toolchain=$!
  run_lane "${lane_cluster[@]}" & pid_cluster=$!
  rc=0
  # The first lane to fail stops the other: a failed step must not wait for a 30-minute build.
  if ! wait -n "$pid_toolchain" "$pid_cluster"; then
    rc=1
    say "tools: stopping the other build lane"
    kill_tree "$pid_toolchain"; kill_tree "$pid_cluster"
  fi
  wait "$pid_toolchain" || rc=1
  wait "$pid_cluster" || rc=1
  [ $rc -eq 0 ] || { say "tools: the toolchain build failed (steps: ${steps[*]}); log above"; exit 1; }
else
  for s in "${steps[@]}"; do run_named "$s"; done
fi
[ "$QUIET" = 1 ] || say "==> toolchain ready in $((SECONDS - total))s"
