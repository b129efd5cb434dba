# Sourced by every script and Makefile recipe: one place that says where things live and
# which environment every Pulumi call gets.
#
#   CLOUD_CODEX_CACHE  built binaries, keyed by version; outside the checkout so a fresh
#                      clone (and CI) reuses them. Default: ~/.cache/cloud-codex
#   STATE_DIR          the project's gitignored state: Pulumi home, file backend, local
#                      cluster data and kubeconfig, links to the toolchain. Default: <repo>/.state

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT_DIR
export CLOUD_CODEX_CACHE="${CLOUD_CODEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloud-codex}"
export STATE_DIR="${STATE_DIR:-$ROOT_DIR/.state}"
export TOOLS_BIN="$STATE_DIR/bin"

# Pinned versions: the only place they are written for the scripts. The wrapper modules'
# go.mod files pin the same releases; tools.sh checks the built binaries report these.
export PULUMI_VERSION=v3.274.1
export PULUMI_LANGUAGE_GO_VERSION=v3.66.0
export KUBERNETES_PROVIDER_VERSION=4.25.0
export RANDOM_PROVIDER_VERSION=4.21.1
export KUBERNETES_VERSION=v1.37.2
export ETCD_VERSION=v3.7.0
# The embedded cluster's node (tools/containerd, tools/coredns, tools/local-path, tools/netpol).
export CONTAINERD_VERSION=v2.4.2
export COREDNS_VERSION=v1.15.0
export LOCAL_PATH_PROVISIONER_VERSION=v0.0.30
export KUBE_NETWORK_POLICIES_VERSION=v0.8.0
# The node's own address (a dummy interface, scripts/node.sh): kubelet, CoreDNS, NodePorts,
# and where tests run services the pods must reach.
export CLUSTER_NODE_IP=10.200.0.1
# The node's sockets and containerd's runtime state (short paths for unix sockets); its
# containerd listens on $CLUSTER_RUN_DIR/containerd.sock.
export CLUSTER_RUN_DIR=/run/cloud-codex

export PULUMI_HOME="$STATE_DIR/pulumi-home"
# Where the language host keeps each program's binary between runs (tools/language-go/buildcache);
# "off" relinks on every run, as the stock host does.
export CLOUD_CODEX_PROGRAM_CACHE="${CLOUD_CODEX_PROGRAM_CACHE:-$CLOUD_CODEX_CACHE/programs}"
# Go's garbage-collector target for pulumi runs (the CLI, its plugins, the policy pack and
# the program inherit it). The engine spends about a quarter of its CPU collecting garbage;
# at 400 a no-op preview of 100 agents takes 18 % less time for ~40 % more peak memory
# (docs/performance.md). scripts/pulumi.sh, scripts/bench.sh and the e2e suite apply it.
export PULUMI_GOGC="${PULUMI_GOGC:-400}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# The dev stack's state lives in a file backend inside the state dir. A real stack sets its
# own PULUMI_BACKEND_URL (and secrets provider) before calling make; see README.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$STATE_DIR/backend}"
# A DIY backend (file://, s3://, gs://, azblob://) saves the whole state after every resource
# step, each save costing O(resources): a first `up` of N agents costs O(N²) (pulumi v3.274.1,
# pkg/backend/snapshot.go: defaultServiceLoop, saveSnapshot). With PULUMI_SKIP_CHECKPOINTS the
# state is saved once, when the operation ends, also on an error or Ctrl-C; only a CLI killed
# outright (kill -9, OOM, a lost machine) loses the run's record, and
# docs/runbooks/killed-up.md is the way back. Pulumi Cloud journals each step instead (linear
# and safe), so there it stays unset. Set PULUMI_SKIP_CHECKPOINTS=false to keep per-step saves;
# previews skip them always (scripts/pulumi.sh): a preview saves nothing anyway.
case "$PULUMI_BACKEND_URL" in
  https://*|http://*) ;;
  *) export PULUMI_SKIP_CHECKPOINTS="${PULUMI_SKIP_CHECKPOINTS:-true}" ;;
esac
# Dev-only passphrase for the dev stack's passphrase secrets provider. It protects nothing
# but a throwaway local stack; real stacks use their own secrets provider.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-cloud-codex-dev-only}"

# module_dir DIR MODULE: the module's directory in the module cache, downloaded first if it
# is not there. `go list -m -f {{.Dir}}` prints an empty Dir (and exits 0) for a module that
# is not downloaded yet, so it is never trusted alone. On failure: a message, non-zero.
module_dir() {
  local dir
  dir=$(cd "$ROOT_DIR/$1" && go mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') \
    || { echo "go mod download $2 in $1 failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))" >&2; return 1; }
  [ -n "$dir" ] && [ -d "$dir" ] \
    || { echo "module $2 has no directory in the module cache after go mod download (got '$dir')" >&2; return 1; }
  echo "$dir"
}

# ensure_debian_packages WHO COMMAND:PACKAGE...: installs the Debian packages whose command
# (a name on PATH or in /usr/sbin, or an absolute path) is missing, saying so on stderr; sets
# DEBIAN_INSTALLED=1 when it installed something. Needs root only when something is missing.
ensure_debian_packages() {
  local who=$1 missing=() pair what pkg start=$SECONDS
  shift
  for pair in "$@"; do
    what=${pair%%:*} pkg=${pair#*:}
    if [[ "$what" == /* ]]; then [ -x "$what" ] || missing+=("$pkg")
    else command -v "$what" >/dev/null 2>&1 || [ -x "/usr/sbin/$what" ] || missing+=("$pkg"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "$who needs the Debian packages ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root" >&2
    return 1
  fi
  echo "    installing Debian packages ${missing[*]} for $who (cold: under 1 min)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; } \
    || { echo "apt-get install ${missing[*]} failed" >&2; return 1; }
  DEBIAN_INSTALLED=1
  echo "    installed ${missing[*]} in $((SECONDS - start))s" >&2
}

case ":$PATH:" in *":$TOOLS_BIN:"*) ;; *) export PATH="$TOOLS_BIN:$PATH" ;; esac
