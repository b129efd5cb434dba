#!/usr/bin/env bash
# The project's own local Kubernetes cluster: etcd + kube-apiserver + kube-controller-manager
# + kube-scheduler on free loopback ports, and one node on this machine (containerd, kubelet,
# kube-proxy, CoreDNS, local-path-provisioner, kube-network-policies; scripts/node.sh; needs root), all built by
# `scripts/tools.sh kube node`, with all state under $STATE_DIR/cluster and a kubeconfig at
# $STATE_DIR/kubeconfig. CLUSTER_NODE=0 starts the control plane alone (Pods are admitted
# but never run). See docs/runbooks/local-cluster.md.
#
# Usage: scripts/cluster.sh up               build if needed, start (or reuse a healthy cluster)
#        scripts/cluster.sh down [--purge]   stop the processes `up` started; --purge also deletes the data
#        scripts/cluster.sh status           exit 0 only if every component is running and healthy
#        scripts/cluster.sh env              prints `export KUBECONFIG=...` (use with eval)
#
# Environment: CLUSTER_TIMEOUT (seconds each wait may take, default 90); CLUSTER_NODE (1: with
# the node, the default; 0: API server only).
set -euo pipefail
source "$(dirname "$0")/env.sh"

CLUSTER_DIR="$STATE_DIR/cluster"
LOG_DIR="$CLUSTER_DIR/logs"
CERT_DIR="$CLUSTER_DIR/apiserver-certs"
PORTS_FILE="$CLUSTER_DIR/ports.env"
TOKEN_FILE="$CLUSTER_DIR/tokens.csv"
SA_KEY="$CLUSTER_DIR/sa.key"
SA_PUB="$CLUSTER_DIR/sa.pub"
KCM_KUBECONFIG="$CLUSTER_DIR/controller-manager.kubeconfig"
KUBECONFIG_FILE="$STATE_DIR/kubeconfig"
CA_FILE="$CERT_DIR/apiserver.crt"      # self-generated serving cert + the CA that signed it
ROOT_CA="$CLUSTER_DIR/ca.crt"           # just that CA (what a CA bundle for pods must hold)
CONTEXT=cloud-codex-local
TIMEOUT="${CLUSTER_TIMEOUT:-90}"
# Control-plane stop order; start order is the reverse. The node's are in scripts/node.sh.
COMPONENTS=(kube-scheduler kube-controller-manager kube-apiserver etcd)
# Every port the cluster listens on, picked together (pick_ports).
PORT_VARS=(ETCD_CLIENT_PORT ETCD_PEER_PORT APISERVER_PORT KCM_PORT SCHED_PORT KUBELET_PORT KUBELET_HEALTHZ_PORT
  PROXY_HEALTHZ_PORT PROXY_METRICS_PORT DNS_HEALTH_PORT DNS_READY_PORT NETPOL_METRICS_PORT)

step="setup"
fail() { echo "cluster: step '$step' failed: $*" >&2; exit 1; }
# Progress on stderr, like every build step: stdout is for what a caller asked for (env).
say() { echo "cluster: $*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs_since() { local d=$(($(now_ms) - $1)); printf '%d.%01d' $((d / 1000)) $((d % 1000 / 100)); }

# ---------------------------------------------------------------- processes we started

pid_file() { echo "$CLUSTER_DIR/$1.pid"; }
log_file() { echo "$LOG_DIR/$1.log"; }

# ours NAME PID: the pid is alive and is NAME started by this script for this state dir
# (argv[0] is NAME and the command line names $CLUSTER_DIR). Guards against pid reuse.
ours() {
  local cmdline
  [ -n "$2" ] && [ -r "/proc/$2/cmdline" ] || return 1
  cmdline=$(tr '\0' '\n' <"/proc/$2/cmdline" 2>/dev/null) || return 1
  [ "$(basename "$(head -n1 <<<"$cmdline")")" = "$1" ] || return 1
  grep -qF -- "$CLUSTER_DIR" <<<"$cmdline"
}

# running NAME: prints the recorded pid if that process is ours and alive.
running() {
  local pid
  pid=$(cat "$(pid_file "$1")" 2>/dev/null) || return 1
  ours "$1" "$pid" && echo "$pid"
}

# stop NAME: SIGTERM, wait up to 20 s, then SIGKILL; only ever the recorded, verified pid.
stop() {
  local name=$1 pid i
  if pid=$(running "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
      ours "$name" "$pid" || break
      sleep 0.1
    done
    if ours "$name" "$pid"; then
      say "$name (pid $pid) did not exit after SIGTERM in 20s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do ours "$name" "$pid" || break; sleep 0.1; done
    fi
    say "stopped $name (pid $pid)"
  fi
  rm -f "$(pid_file "$name")"
}

# start NAME ARGS...: in its own session (so the caller's Ctrl-C or process-group kill does
# not take the cluster down), immune to SIGHUP, logging to logs/NAME.log (previous run's log
# kept as NAME.log.prev).
start() {
  local name=$1; shift
  local bin log
  bin="$TOOLS_BIN/$name"
  [ -x "$bin" ] || fail "$bin is missing; run scripts/tools.sh kube"
  log=$(log_file "$name")
  [ -f "$log" ] && mv -f "$log" "$log.prev"
  echo "# $(date -u +%FT%TZ) $bin $*" >"$log"
  # Not a process-group leader (no job control here), so setsid execs in place: $! is the
  # component's own pid.
  # etcd reads ETCD_* variables as flags (env.sh exports ETCD_VERSION): none reach it.
  local unset_env=()
  if [ "$name" = etcd ]; then
    local v
    for v in $(compgen -e); do [[ "$v" == ETCD_* ]] && unset_env+=(-u "$v"); done
  fi
  # 9>&-: the daemons must not inherit (and hold forever) the up/down lock.
  setsid nohup env "${unset_env[@]}" "$bin" "$@" >>"$log" 2>&1 </dev/null 9>&- &
  local pid=$! i
  echo "$pid" >"$(pid_file "$name")"
  # Until setsid/nohup/env have exec'd the binary, `running` would not recognise it yet.
  for ((i = 0; i < 100; i++)); do
    ours "$name" "$pid" && return
    [ -d "/proc/$pid" ] || return 0
    sleep 0.05
  done
}

# log_tail NAME: the last lines of a component's log, for error messages.
log_tail() {
  echo "---- last 30 lines of $(log_file "$1") ----" >&2
  tail -n 30 "$(log_file "$1")" >&2 2>/dev/null || true
  echo "----" >&2
}

# ---------------------------------------------------------------- health checks

etcd_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health" 2>/dev/null | grep -q '"health":"true"'; }
apiserver_ready() {
  [ -r "$CA_FILE" ] || return 1
  # The token goes in on stdin, not on curl's command line (visible in ps).
  [ "$(printf 'Authorization: Bearer %s\n' "$(token)" | curl -sS --max-time 3 --cacert "$CA_FILE" -H @- \
    "https://127.0.0.1:$APISERVER_PORT/readyz" 2>/dev/null)" = ok ]
}
# The controller manager serves a self-signed, in-memory cert: -k for this loopback probe only.
kcm_healthy() { [ "$(curl -sSk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz" 2>/dev/null)" = ok ]; }
sched_healthy() { [ "$(curl -sSk --max-time 2 "https://127.0.0.1:$SCHED_PORT/healthz" 2>/dev/null)" = ok ]; }
healthy() {
  case "$1" in
    etcd) etcd_healthy ;;
    kube-apiserver) apiserver_ready ;;
    kube-controller-manager) kcm_healthy ;;
    kube-scheduler) sched_healthy ;;
    containerd) containerd_healthy ;;
    kubelet) kubelet_healthy && node_ready ;;
    kube-proxy) proxy_healthy ;;
    coredns) coredns_healthy ;;
    local-path-provisioner) localpath_healthy ;;
    kube-network-policies) netpol_healthy && netpol_hooked ;;
  esac
}

# wait_for NAME WHAT CHECK...: polls CHECK until it succeeds; fails naming the component,
# showing its log tail, as soon as the process dies or after $TIMEOUT seconds.
wait_for() {
  local name=$1 what=$2; shift 2
  local deadline=$(($(date +%s) + TIMEOUT))
  until "$@"; do
    if ! running "$name" >/dev/null; then
      log_tail "$name"
      fail "$name exited before $what (log: $(log_file "$name"))"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log_tail "$name"
      fail "$name: no $what after ${TIMEOUT}s (log: $(log_file "$name"); raise CLUSTER_TIMEOUT if the machine is just busy)"
    fi
    sleep 0.2
  done
}

sa_exists() { kubectl --kubeconfig "$KUBECONFIG_FILE" --request-timeout=3s get serviceaccount default -n default -o name >/dev/null 2>&1; }

# current_binary NAME PID: the process runs the binary $TOOLS_BIN/NAME points to now (not an
# older build or version: a rebuilt or re-pinned binary means restart, not reuse).
current_binary() { [ "$(readlink "/proc/$2/exe" 2>/dev/null)" = "$(readlink -f "$TOOLS_BIN/$1")" ]; }

cluster_healthy() {
  load_ports || return 1
  local c pid all=("${COMPONENTS[@]}")
  node_wanted && all+=("${NODE_COMPONENTS[@]}")
  for c in "${all[@]}"; do
    pid=$(running "$c") && healthy "$c" || return 1
    if ! current_binary "$c" "$pid"; then
      say "$c (pid $pid) runs $(readlink "/proc/$pid/exe"), not the current $(readlink -f "$TOOLS_BIN/$c")"
      return 1
    fi
  done
}

# ---------------------------------------------------------------- ports

load_ports() { [ -r "$PORTS_FILE" ] && source "$PORTS_FILE" && [ -n "${APISERVER_PORT:-}" ]; }

# Local ports of every TCP socket except those in TIME_WAIT/CLOSE (Go listeners set
# SO_REUSEADDR, so those do not block a bind), decimal, one per line.
used_ports() {
  local f sl local_addr rem st rest
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r sl local_addr rem st rest; do
      [ "$sl" = "sl" ] && continue
      case "$st" in 06|07) continue ;; esac
      echo $((16#${local_addr##*:}))
    done <"$f"
  done
}

# pick_ports: reuses the recorded ports when they are all free (a stable kubeconfig, and
# etcd's stored peer URL stays right); otherwise picks free ones below the ephemeral range.
pick_ports() {
  local used p lo q i v taken=" " picked=()
  used=" $(used_ports | sort -un | tr '\n' ' ') "
  if load_ports; then
    local ok=1
    for v in "${PORT_VARS[@]}"; do
      p=${!v:-}
      if [ -z "$p" ] || [[ "$used" == *" $p "* ]]; then ok=0; fi
    done
    [ $ok = 1 ] && return
    say "a recorded port is in use now (or a new one is needed); picking new ports"
  fi
  lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$lo" -gt 12000 ] 2>/dev/null || lo=32768
  for v in "${PORT_VARS[@]}"; do
    for ((i = 0; ; i++)); do
      [ $i -lt 1000 ] || fail "no free loopback port found in 10000-$lo"
      q=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
      [[ "$used$taken" == *" $q "* ]] || break
    done
    taken="$taken$q "
    printf -v "$v" '%s' "$q"
    picked+=("$v=$q")
  done
  printf '%s\n' "${picked[@]}" >"$PORTS_FILE.tmp"
  mv "$PORTS_FILE.tmp" "$PORTS_FILE"
}

# ---------------------------------------------------------------- credentials

token() { cut -d, -f1 "$TOKEN_FILE"; }

random_hex() {
  if command -v openssl >/dev/null; then openssl rand -hex 32
  else od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; fi
}

# Service-account signing key pair and the admin token: generated once, kept across
# restarts (tokens and kubeconfig stay valid); `down --purge` removes them.
ensure_credentials() {
  if [ ! -s "$SA_KEY" ] || [ ! -s "$SA_PUB" ]; then
    if command -v openssl >/dev/null; then
      (umask 077 && openssl genrsa -out "$SA_KEY.tmp" 2048 2>/dev/null) || fail "openssl genrsa"
      openssl rsa -in "$SA_KEY.tmp" -pubout -out "$SA_PUB.tmp" 2>/dev/null || fail "openssl rsa -pubout"
    else
      # No openssl: the same with Go's standard library.
      local gen="$CLUSTER_DIR/keygen"
      mkdir -p "$gen"
      cat >"$gen/main.go" <<'EOF'
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
)

func main() {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	must(os.WriteFile(os.Args[1], pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600))
	must(os.WriteFile(os.Args[2], pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
EOF
      (cd "$gen" && GO111MODULE=off GOFLAGS= go run main.go "$SA_KEY.tmp" "$SA_PUB.tmp") || fail "generating the service-account key with go run"
      rm -rf "$gen"
    fi
    mv "$SA_KEY.tmp" "$SA_KEY"
    mv "$SA_PUB.tmp" "$SA_PUB"
  fi
  if [ ! -s "$TOKEN_FILE" ]; then
    (umask 077 && echo "$(random_hex),admin,admin-uid,system:masters" >"$TOKEN_FILE.tmp")
    mv "$TOKEN_FILE.tmp" "$TOKEN_FILE"
  fi
  # The apiserver reuses the serving cert it generated in --cert-dir; replace one that expires
  # within a day (it is valid for a year).
  if [ -f "$CA_FILE" ] && command -v openssl >/dev/null \
     && ! openssl x509 -checkend 86400 -noout -in "$CA_FILE" >/dev/null 2>&1; then
    say "apiserver serving cert expires soon; regenerating"
    rm -f "$CERT_DIR/apiserver.crt" "$CERT_DIR/apiserver.key"
  fi
}

# write_kubeconfig FILE: admin token, CA = the apiserver's self-generated cert.
write_kubeconfig() {
  (umask 077 && cat >"$1.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $CA_FILE
users:
- name: $CONTEXT-admin
  user:
    token: $(token)
contexts:
- name: $CONTEXT
  context:
    cluster: $CONTEXT
    user: $CONTEXT-admin
current-context: $CONTEXT
EOF
  )
  mv "$1.tmp" "$1"
}

# ---------------------------------------------------------------- the node

# shellcheck source=scripts/node.sh
source "$ROOT_DIR/scripts/node.sh"

# ---------------------------------------------------------------- subcommands

cmd_up() {
  local t0 t_build t_start
  t0=$(now_ms)
  step="build (scripts/tools.sh kube node)"
  local build_steps=(kube)
  if node_wanted; then
    node_require_root
    build_steps+=(node)
  fi
  TOOLS_QUIET=1 "$ROOT_DIR/scripts/tools.sh" "${build_steps[@]}" || fail "scripts/tools.sh ${build_steps[*]}"
  t_build=$(secs_since "$t0")
  command -v curl >/dev/null || fail "curl is required for health checks"
  command -v setsid >/dev/null || fail "setsid (util-linux) is required"

  # Keys, token and etcd data: private to the user.
  mkdir -p "$CLUSTER_DIR" "$LOG_DIR" "$CERT_DIR" "$CLUSTER_DIR/etcd"
  chmod 700 "$CLUSTER_DIR" "$CLUSTER_DIR/etcd"
  step="lock"
  lock

  step="reuse check"
  if cluster_healthy; then
    write_kubeconfig "$KUBECONFIG_FILE"
    # A warm run says one line.
    say "reusing the healthy cluster (apiserver https://127.0.0.1:$APISERVER_PORT$(node_wanted && echo ", node $NODE_NAME"); ready in $(secs_since "$t0")s)"
    return
  fi
  # Anything left of a previous, unhealthy run: stop it (ours only) and start clean.
  local c left=""
  for c in "${NODE_COMPONENTS[@]}" "${COMPONENTS[@]}"; do running "$c" >/dev/null && left="$left $c"; done
  [ -z "$left" ] || say "the cluster is not healthy; restarting (was running:$left)"
  [ "$(id -u)" = 0 ] && node_down
  for c in "${COMPONENTS[@]}"; do stop "$c"; done
  # A failed start leaves nothing running behind (logs are kept).
  trap 'rc=$?; if [ $rc -ne 0 ]; then [ "$(id -u)" = 0 ] && node_down >/dev/null 2>&1; for c in "${COMPONENTS[@]}"; do stop "$c" >/dev/null 2>&1 || true; done;
    echo "cluster: stopped what this run started; logs in $LOG_DIR" >&2; fi' EXIT

  t_start=$(now_ms)
  step="credentials"
  ensure_credentials
  step="ports"
  pick_ports

  step="start etcd"
  start etcd \
    --name=cloud-codex-local \
    --data-dir="$CLUSTER_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="cloud-codex-local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync \
    --log-level=warn
  wait_for etcd "/health" etcd_healthy

  step="start kube-apiserver"
  # Admission: the defaults, which include PodSecurity and ServiceAccount (the controller
  # manager creates each namespace's `default` ServiceAccount, so Pods are admitted).
  start kube-apiserver \
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --cert-dir="$CERT_DIR" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$APISERVER_PORT" \
    --endpoint-reconciler-type=none \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$SA_PUB" \
    --service-account-signing-key-file="$SA_KEY" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --kubelet-preferred-address-types=InternalIP \
    --authorization-mode=RBAC \
    --token-auth-file="$TOKEN_FILE" \
    --allow-privileged=true
  wait_for kube-apiserver "serving cert in $CERT_DIR" test -s "$CA_FILE"
  write_kubeconfig "$KUBECONFIG_FILE"
  write_kubeconfig "$KCM_KUBECONFIG"
  wait_for kube-apiserver "/readyz" apiserver_ready
  # apiserver.crt is leaf + CA; the controller manager publishes --root-ca-file as the
  # kube-root-ca.crt ConfigMap and a ClusterTrustBundle, which refuses a non-CA entry.
  awk '/-----BEGIN CERTIFICATE-----/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$CA_FILE" >"$ROOT_CA.tmp" \
    && mv "$ROOT_CA.tmp" "$ROOT_CA" || fail "extracting the CA from $CA_FILE"

  step="start kube-controller-manager"
  start kube-controller-manager \
    --kubeconfig="$KCM_KUBECONFIG" \
    --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" \
    --leader-elect=false \
    --use-service-account-credentials=false \
    --service-account-private-key-file="$SA_KEY" \
    --root-ca-file="$ROOT_CA" \
    --controllers='*'
  wait_for kube-controller-manager "/healthz" kcm_healthy

  step="start kube-scheduler"
  start kube-scheduler \
    --kubeconfig="$KCM_KUBECONFIG" \
    --bind-address=127.0.0.1 \
    --secure-port="$SCHED_PORT" \
    --leader-elect=false
  wait_for kube-scheduler "/healthz" sched_healthy

  step="default ServiceAccount"
  wait_for kube-controller-manager "ServiceAccount default/default (created by its serviceaccount controller)" \
    sa_exists
  if node_wanted; then node_up; fi
  step="done"
  trap - EXIT
  say "started in $(secs_since "$t_start")s (build check ${t_build}s)"
  usage_hint
  say "ready in $(secs_since "$t0")s"
}

usage_hint() {
  cat >&2 <<EOF
cluster: kube-apiserver https://127.0.0.1:$APISERVER_PORT, context $CONTEXT; data and logs in $CLUSTER_DIR
  kubectl --kubeconfig $KUBECONFIG_FILE get ns
  eval "\$(scripts/cluster.sh env)"     # or: export KUBECONFIG=$KUBECONFIG_FILE
EOF
}

# Serialises up/down (a test's TestMain and a user's `make cluster-up` may race). The lock is
# released when this process exits.
lock() {
  command -v flock >/dev/null || return 0
  mkdir -p "$CLUSTER_DIR"
  exec 9>"$CLUSTER_DIR/.lock"
  if ! flock -n 9; then
    say "another cluster.sh up/down holds $CLUSTER_DIR/.lock; waiting (up to ${TIMEOUT}s)"
    flock -w "$TIMEOUT" 9 || fail "timed out waiting for $CLUSTER_DIR/.lock"
  fi
}

cmd_down() {
  local purge=0
  case "${1:-}" in
    "") ;;
    --purge) purge=1 ;;
    *) echo "usage: $0 down [--purge]" >&2; exit 2 ;;
  esac
  step="down"
  [ -d "$CLUSTER_DIR" ] || { say "no cluster state in $CLUSTER_DIR; nothing to stop"; return; }
  lock
  local c any=0
  for c in "${NODE_COMPONENTS[@]}"; do running "$c" >/dev/null && any=1; done
  if [ "$(id -u)" = 0 ]; then
    node_down
  elif [ $any = 1 ]; then
    fail "the node is running and stopping it needs root (mounts, network, cgroups)"
  fi
  for c in "${COMPONENTS[@]}"; do
    if running "$c" >/dev/null; then any=1; fi
    stop "$c"
  done
  [ $any = 1 ] || say "nothing was running"
  if [ $purge = 1 ]; then
    # Never delete through a mount (a pod's hostPath or volume): refuse while any is left.
    if awk -v a="$CLUSTER_DIR/" 'index($2, a) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
      fail "mounts remain under $CLUSTER_DIR (see /proc/self/mounts); not deleting it"
    fi
    rm -rf "$CLUSTER_DIR" "$KUBECONFIG_FILE"
    say "purged $CLUSTER_DIR and $KUBECONFIG_FILE"
  else
    say "data kept in $CLUSTER_DIR (etcd, certs, keys, logs); 'down --purge' deletes it"
  fi
}

cmd_status() {
  local ok=0 c pid ports health
  if ! load_ports; then
    echo "cluster: not set up (no $PORTS_FILE); run scripts/cluster.sh up"
    return 1
  fi
  local all=(etcd kube-apiserver kube-controller-manager kube-scheduler)
  node_wanted && all+=(containerd kube-network-policies kubelet kube-proxy coredns local-path-provisioner)
  for c in "${all[@]}"; do
    case "$c" in
      etcd) ports="client $ETCD_CLIENT_PORT, peer $ETCD_PEER_PORT"; health="/health" ;;
      kube-apiserver) ports="secure $APISERVER_PORT"; health="/readyz" ;;
      kube-controller-manager) ports="secure $KCM_PORT"; health="/healthz" ;;
      kube-scheduler) ports="secure ${SCHED_PORT:-?}"; health="/healthz" ;;
      containerd) ports="$CONTAINERD_SOCK"; health="ctr version" ;;
      kubelet) ports="$NODE_IP:${KUBELET_PORT:-?}"; health="/healthz, node Ready" ;;
      kube-proxy) ports="healthz ${PROXY_HEALTHZ_PORT:-?}"; health="/healthz" ;;
      coredns) ports="$NODE_IP:53"; health="/ready" ;;
      local-path-provisioner) ports="-"; health="alive" ;;
      kube-network-policies) ports="nfqueue ${NETPOL_QUEUE}"; health="queue bound, NRI synced, $NETPOL_CHAIN hooked" ;;
    esac
    if pid=$(running "$c"); then
      if healthy "$c"; then
        printf '%-24s running  pid %-7s %-26s %s ok\n' "$c" "$pid" "($ports)" "$health"
      else
        printf '%-24s running  pid %-7s %-26s %s FAILING (log: %s)\n' "$c" "$pid" "($ports)" "$health" "$(log_file "$c")"
        ok=1
      fi
    else
      printf '%-24s stopped  %-11s %-26s (log: %s)\n' "$c" "" "($ports)" "$(log_file "$c")"
      ok=1
    fi
  done
  if [ $ok = 0 ]; then
    echo "cluster: healthy; kubeconfig $KUBECONFIG_FILE (context $CONTEXT)"
  else
    echo "cluster: NOT healthy (scripts/cluster.sh up restarts it)"
  fi
  return $ok
}

cmd_env() {
  [ -f "$KUBECONFIG_FILE" ] || echo "cluster: $KUBECONFIG_FILE does not exist yet; run scripts/cluster.sh up" >&2
  printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_FILE"
  # The matching kubectl (a system kubectl may be too old for v1.37).
  printf 'export PATH=%q:"$PATH"\n' "$TOOLS_BIN"
}

case "${1:-}" in
  up) shift; [ $# -eq 0 ] || { echo "usage: $0 up" >&2; exit 2; }; cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up | down [--purge] | status | env" >&2; exit 2 ;;
esac
