# The embedded cluster's node: containerd (runc, CNI bridge), kubelet, kube-proxy, CoreDNS,
# local-path-provisioner and kube-network-policies (NetworkPolicy), on this machine, as root.
# Sourced by scripts/cluster.sh, which owns the process helpers (start, stop, running,
# wait_for) and the control plane.
#
# One node per machine: its network names, addresses and iptables chains are machine-wide.
# NODE_OWNER records which state directory owns it; another checkout's `up` refuses to start
# a second one and says how to stop the first.
#
# Layout (see docs/runbooks/local-cluster.md):
#   $CLUSTER_DIR/node/           rendered config (node-config), PV directories, kubelet/containerd state
#   $NODE_RUN_DIR                sockets and containerd's runtime state (short paths for unix sockets)
#   cc-node0 ($NODE_IP)          the node's address: kubelet, kube-proxy NodePorts, CoreDNS (a
#                                portless bridge: this kernel has no dummy interfaces)
#   cc-br0 ($POD_CIDR)           the CNI bridge; pods reach the outside through its masquerade rules
#   CC-NETPOL (mangle)           queues new pod connections to kube-network-policies' verdicts
#   cgroup $NODE_CGROUP_ROOT     every pod cgroup, nested under the cgroup `up` runs in

NODE_NAME=cloud-codex-node
NODE_DIR="$CLUSTER_DIR/node"
NODE_RUN_DIR=$CLUSTER_RUN_DIR
NODE_OWNER=/run/cloud-codex.owner
NODE_IFACE=cc-node0
NODE_IP=$CLUSTER_NODE_IP
POD_BRIDGE=cc-br0
POD_CIDR=10.201.0.0/24
SERVICE_CIDR=10.0.0.0/24
NODE_SYSCTL_SAVE="$NODE_DIR/sysctl.saved"
NODE_CGROUP_SAVE="$NODE_DIR/cgroup-root"
NODE_KUBECONFIG="$CLUSTER_DIR/node.kubeconfig"
CONTAINERD_SOCK="$NODE_RUN_DIR/containerd.sock"
# The sandbox image containerd pins (node-config) and the helper image of local-path-provisioner;
# both are local stand-ins built by scripts/images.sh when they cannot be pulled.
SANDBOX_IMAGE=registry.k8s.io/pause:3.10.1
HELPER_IMAGE=cloud-codex.local/busybox:1.35
# The CNI network's name (tools/node/cmd/node-config/cni.go): the bridge plugin names its
# masquerade chains and comments, and host-local its IPAM directory, after it.
CNI_NETWORK=cloud-codex
# Node components, in stop order (start order is the reverse).
NODE_COMPONENTS=(local-path-provisioner coredns kube-proxy kubelet kube-network-policies containerd)

node_wanted() { [ "${CLUSTER_NODE:-1}" = 1 ]; }

node_require_root() {
  [ "$(id -u)" = 0 ] && return
  fail "the node (containerd, kubelet) needs root: run as root, or CLUSTER_NODE=0 for the API server alone (no pod will run)"
}

# node_cgroup_root: the cgroup every pod cgroup goes under: a child of the cgroup this
# process is in (the memory hierarchy's path; on this machine the others are at /), so pods
# count against what the machine gives this session and never land beside it.
node_cgroup_root() {
  local path
  path=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
  [ -n "$path" ] || path=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  path=${path%/}
  echo "$path/cloud-codex"
}

node_claim() {
  mkdir -p "$NODE_RUN_DIR"
  if [ -s "$NODE_OWNER" ] && [ "$(cat "$NODE_OWNER")" != "$CLUSTER_DIR" ]; then
    local other
    other=$(cat "$NODE_OWNER")
    if [ -d "$other" ] && pgrep -f -- "--root-dir=$other/node/kubelet" >/dev/null 2>&1; then
      fail "a node of another checkout is running ($other); stop it first: STATE_DIR=${other%/cluster} scripts/cluster.sh down"
    fi
  fi
  echo "$CLUSTER_DIR" >"$NODE_OWNER"
}

# sysctls the node needs; the previous values are saved once and restored by `down`.
node_sysctls() {
  local k
  if [ ! -s "$NODE_SYSCTL_SAVE" ]; then
    for k in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables; do
      echo "$k=$(sysctl -n "$k")"
    done >"$NODE_SYSCTL_SAVE.tmp" && mv "$NODE_SYSCTL_SAVE.tmp" "$NODE_SYSCTL_SAVE"
  fi
  sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 || fail "setting sysctls"
}

node_network() {
  if ! ip link show "$NODE_IFACE" >/dev/null 2>&1; then
    # A bridge with no ports: the kernel here has no `dummy` link type; all the node needs is
    # an address of this machine that is not on a real interface.
    ip link add "$NODE_IFACE" type bridge || fail "ip link add $NODE_IFACE type bridge"
  fi
  ip addr replace "$NODE_IP/32" dev "$NODE_IFACE" || fail "ip addr $NODE_IP on $NODE_IFACE"
  ip link set "$NODE_IFACE" up || fail "ip link set $NODE_IFACE up"
}

# node_guard: pods may not reach the kubelet's API. It serves exec, attach, logs and port
# forwarding to anonymous clients here (the API server presents no client certificate;
# tools/node/cmd/node-config/kubelet.go), so a pod that reached it could run commands in any
# other pod, the pool's credential holder included. Pods still reach the node's address
# for DNS and for services tests run there. `down` removes the chain.
NODE_GUARD_CHAIN=CC-NODE-GUARD
node_guard() {
  iptables -N "$NODE_GUARD_CHAIN" 2>/dev/null || iptables -F "$NODE_GUARD_CHAIN" || fail "iptables chain $NODE_GUARD_CHAIN"
  iptables -A "$NODE_GUARD_CHAIN" -p tcp --dport "$KUBELET_PORT" -m comment --comment "cloud-codex: pods may not reach the kubelet API" \
    -j REJECT --reject-with tcp-reset || fail "iptables rule in $NODE_GUARD_CHAIN"
  iptables -C INPUT -s "$POD_CIDR" -d "$NODE_IP" -j "$NODE_GUARD_CHAIN" 2>/dev/null \
    || iptables -I INPUT 1 -s "$POD_CIDR" -d "$NODE_IP" -j "$NODE_GUARD_CHAIN" || fail "iptables INPUT jump to $NODE_GUARD_CHAIN"
}

# node_netpol: NetworkPolicy. kube-network-policies decides, for the first packet of every
# connection from or to a pod, whether the policies allow it (upstream's evaluator; the verdict
# comes back through the netfilter queue). Its own nftables rules use the nft `queue`
# statement, which this kernel lacks (no CONFIG_NFT_QUEUE), so this chain queues the same
# packets with the xtables NFQUEUE target it has (tools/netpol/main.go says how the two map).
# Like upstream's rules: after DNAT, before SNAT (mangle POSTROUTING runs between the two);
# established flows and the node's root processes (the kubelet's probes) are not asked about.
# Traffic between a pod and the node's own address goes to INPUT and never reaches this
# chain: NetworkPolicy always allows a pod's node. No --queue-bypass: with no controller
# listening, pod connections fail closed.
NETPOL_CHAIN=CC-NETPOL
NETPOL_QUEUE=100
node_netpol() {
  iptables -t mangle -N "$NETPOL_CHAIN" 2>/dev/null || iptables -t mangle -F "$NETPOL_CHAIN" || fail "iptables chain $NETPOL_CHAIN"
  iptables -t mangle -A "$NETPOL_CHAIN" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN \
    && iptables -t mangle -A "$NETPOL_CHAIN" -m owner --uid-owner 0 -j RETURN \
    && iptables -t mangle -A "$NETPOL_CHAIN" -s "$POD_CIDR" -m comment --comment "cloud-codex: NetworkPolicy (kube-network-policies)" -j NFQUEUE --queue-num "$NETPOL_QUEUE" \
    && iptables -t mangle -A "$NETPOL_CHAIN" -d "$POD_CIDR" -m comment --comment "cloud-codex: NetworkPolicy (kube-network-policies)" -j NFQUEUE --queue-num "$NETPOL_QUEUE" \
    || fail "iptables rules in $NETPOL_CHAIN"
  iptables -t mangle -C POSTROUTING -j "$NETPOL_CHAIN" 2>/dev/null \
    || iptables -t mangle -A POSTROUTING -j "$NETPOL_CHAIN" || fail "iptables POSTROUTING jump to $NETPOL_CHAIN"
}

# netpol_healthy: the controller has synced its informers and listens on the queue (a bound
# queue lists a port id in the kernel's table), and it learned the runtime's pods over NRI.
netpol_healthy() {
  awk -v q="$NETPOL_QUEUE" '$1 == q { found = 1 } END { exit !found }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null \
    && grep -q "Synchronized state with the runtime" "$(log_file kube-network-policies)"
}
netpol_hooked() { iptables -t mangle -C POSTROUTING -j "$NETPOL_CHAIN" 2>/dev/null; }

# node_cgroups: the kubelet wants its cgroup root to exist in every v1 hierarchy. Created
# level by level (cpuset children start with no CPUs or memory nodes: each level copies its
# parent's, or nothing could run in it).
node_cgroups() {
  local root h dir parent f
  root=$(cat "$NODE_CGROUP_SAVE")
  for h in /sys/fs/cgroup/*/; do
    h=${h%/}
    [ "$(basename "$h")" = unified ] && continue
    dir=$h
    local IFS=/
    for part in ${root#/}; do
      parent=$dir
      dir=$dir/$part
      if [ ! -d "$dir" ]; then
        mkdir "$dir" || fail "creating cgroup $dir"
      fi
      if [ "$(basename "$h")" = cpuset ]; then
        for f in cpuset.cpus cpuset.mems; do
          [ -n "$(cat "$dir/$f")" ] || cat "$parent/$f" >"$dir/$f" || fail "initialising $dir/$f"
        done
      fi
    done
    unset IFS
  done
}

node_render() {
  local manifest
  manifest=$(module_dir tools/local-path github.com/rancher/local-path-provisioner) \
    || fail "locating local-path-provisioner's module (its deploy/local-path-storage.yaml is the StorageClass)"
  [ -f "$manifest/deploy/local-path-storage.yaml" ] \
    || fail "$manifest/deploy/local-path-storage.yaml is missing from local-path-provisioner's module"
  echo "$(node_cgroup_root)" >"$NODE_CGROUP_SAVE"
  mkdir -p "$NODE_DIR/volumes"
  "$TOOLS_BIN/node-config" \
    -dir "$NODE_DIR/config" -state-dir "$NODE_DIR" -run-dir "$NODE_RUN_DIR" \
    -node-name "$NODE_NAME" -node-ip "$NODE_IP" -pod-cidr "$POD_CIDR" -service-cidr "$SERVICE_CIDR" \
    -bridge "$POD_BRIDGE" -cgroup-root "$(cat "$NODE_CGROUP_SAVE")" \
    -kubelet-port "$KUBELET_PORT" -kubelet-healthz-port "$KUBELET_HEALTHZ_PORT" \
    -proxy-healthz-port "$PROXY_HEALTHZ_PORT" -proxy-metrics-port "$PROXY_METRICS_PORT" \
    -dns-health-port "$DNS_HEALTH_PORT" -dns-ready-port "$DNS_READY_PORT" \
    -kubeconfig "$NODE_KUBECONFIG" -sandbox-image "$SANDBOX_IMAGE" -helper-image "$HELPER_IMAGE" \
    -local-path-dir "$NODE_DIR/volumes" -local-path-manifest "$manifest/deploy/local-path-storage.yaml" \
    -runc "$(command -v runc)" \
    || fail "node-config"
}

containerd_healthy() { "$TOOLS_BIN/ctr" --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; }
kubelet_healthy() { [ "$(curl -sS --max-time 2 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz" 2>/dev/null)" = ok ]; }
proxy_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz" >/dev/null 2>&1; }
coredns_healthy() { [ "$(curl -sS --max-time 2 "http://127.0.0.1:$DNS_READY_PORT/ready" 2>/dev/null)" = OK ]; }
# local-path-provisioner serves nothing: alive is all there is to check.
localpath_healthy() { running local-path-provisioner >/dev/null; }
node_ready() {
  [ "$(kubectl --kubeconfig "$KUBECONFIG_FILE" --request-timeout=3s get node "$NODE_NAME" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

node_up() {
  node_require_root
  # A fresh state dir has none of the node's directories yet (the fresh-machine check found
  # this: every earlier run had one left by a previous start).
  mkdir -p "$NODE_DIR"
  step="node: claim"
  node_claim
  step="node: sysctls"
  node_sysctls
  step="node: network"
  node_network
  node_guard
  step="node: config"
  write_kubeconfig "$NODE_KUBECONFIG"
  node_render
  node_cgroups
  mkdir -p "$NODE_DIR/kubelet" "$NODE_DIR/kubelet-certs"

  [ -e /run/containerd ] || touch "$NODE_DIR/run-containerd.created"
  step="start containerd"
  start containerd --config "$NODE_DIR/config/containerd.toml"
  wait_for containerd "its socket $CONTAINERD_SOCK" containerd_healthy

  # Before the kubelet: no pod runs before its policies are enforced.
  step="start kube-network-policies"
  start kube-network-policies \
    -kubeconfig "$NODE_KUBECONFIG" \
    -hostname-override "$NODE_NAME" \
    -nri-socket "$NODE_RUN_DIR/nri.sock" \
    -nfqueue-id "$NETPOL_QUEUE" \
    -metrics-bind-address "127.0.0.1:$NETPOL_METRICS_PORT" \
    -v=1
  wait_for kube-network-policies "queue $NETPOL_QUEUE bound and the runtime's pods synced over NRI" netpol_healthy
  node_netpol

  step="images"
  "$ROOT_DIR/scripts/images.sh" import --address "$CONTAINERD_SOCK" --ctr "$TOOLS_BIN/ctr" \
    || fail "importing the local images (scripts/images.sh import)"

  step="start kubelet"
  start kubelet \
    --config="$NODE_DIR/config/kubelet.yaml" \
    --kubeconfig="$NODE_KUBECONFIG" \
    --root-dir="$NODE_DIR/kubelet" \
    --cert-dir="$NODE_DIR/kubelet-certs" \
    --hostname-override="$NODE_NAME" \
    --node-ip="$NODE_IP" \
    --v=1
  wait_for kubelet "/healthz" kubelet_healthy
  wait_for kubelet "node $NODE_NAME Ready" node_ready

  step="start kube-proxy"
  start kube-proxy --config="$NODE_DIR/config/kube-proxy.yaml" --v=1
  wait_for kube-proxy "/healthz" proxy_healthy

  step="start coredns"
  start coredns -conf "$NODE_DIR/config/Corefile"
  wait_for coredns "/ready (the kubernetes plugin synced)" coredns_healthy

  step="storage"
  kubectl --kubeconfig "$KUBECONFIG_FILE" apply --server-side --force-conflicts --field-manager=cloud-codex-cluster \
    -f "$NODE_DIR/config/addons.yaml" >/dev/null || fail "applying the local-path StorageClass and its objects"
  start local-path-provisioner --debug start \
    --kubeconfig "$NODE_KUBECONFIG" \
    --namespace local-path-storage \
    --configmap-name local-path-config \
    --service-account-name local-path-provisioner-service-account \
    --helper-image "$HELPER_IMAGE" \
    --provisioner-name rancher.io/local-path \
    --worker-threads 2
  sleep 1
  localpath_healthy || { log_tail local-path-provisioner; fail "local-path-provisioner exited"; }
}

# ---------------------------------------------------------------- down

# node_processes_gone: no containerd shim or container process of this node is left.
node_shims() {
  local p exe shim
  shim=$(readlink -f "$TOOLS_BIN/containerd-shim-runc-v2" 2>/dev/null) || return 0
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    [ "$exe" = "$shim" ] && echo "${p#/proc/}"
  done
}

# node_cni_plugin_pids: CNI plugins this node's containerd started that still run: their
# CNI_NETNS names one of its network namespaces, which live under its run directory
# (netns_mounts_under_state_dir: tools/node/cmd/node-config/containerd.go).
node_cni_plugin_pids() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' '\n' <"$p/environ" | awk -v v="CNI_NETNS=$NODE_RUN_DIR/" 'index($0, v) == 1 { f = 1 } END { exit !f }'; } 2>/dev/null &&
      echo "${p#/proc/}"
  done
  return 0
}

# node_settle_cni_plugins: a containerd stopped in the middle of a pod's network setup leaves
# its CNI plugin running; it would add its masquerade rules after the cleanup below removed
# them. Give such plugins a moment to finish, then kill them: the cleanup removes what they did.
node_settle_cni_plugins() {
  local i pids
  for ((i = 0; i < 50; i++)); do
    pids=$(node_cni_plugin_pids)
    [ -n "$pids" ] || return 0
    sleep 0.2
  done
  say "killing CNI plugin(s) still running 10 s after containerd stopped: $(tr '\n' ' ' <<<"$pids")"
  # shellcheck disable=SC2086 # one pid per word
  kill -KILL $pids 2>/dev/null || true
}

# node_cgroup_dirs: the node's cgroup root in each hierarchy that has it, one per line.
node_cgroup_dirs() {
  local root h
  root=$(cat "$NODE_CGROUP_SAVE" 2>/dev/null) || return 0
  [ -n "$root" ] && [ "$root" != / ] || return 0
  for h in /sys/fs/cgroup/*/; do
    [ -d "$h${root#/}" ] && echo "$h${root#/}"
  done
  return 0
}

# node_cgroup_pids: every process in the node's cgroups, in any hierarchy: what its pods
# run, whoever their parent is by now.
node_cgroup_pids() {
  local d
  node_cgroup_dirs | while read -r d; do
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# node_thaw_pods: thaw every frozen cgroup of the node's (v1 freezer.state, v2 cgroup.freeze).
# runc freezes a container's cgroup while it changes the cgroup's settings; a runc killed in
# that moment leaves it FROZEN for good, and a frozen process cannot die of SIGKILL until thawed.
node_thaw_pods() {
  local d f
  while read -r f; do
    case "$f" in
      */freezer.state) [ "$(cat "$f" 2>/dev/null)" = THAWED ] || echo THAWED >"$f" 2>/dev/null || true ;;
      */cgroup.freeze) [ "$(cat "$f" 2>/dev/null)" = 0 ] || echo 0 >"$f" 2>/dev/null || true ;;
    esac
  done < <(node_cgroup_dirs | while read -r d; do
    find "$d" \( -name freezer.state -o -name cgroup.freeze \) 2>/dev/null
  done)
}

# node_kill_pods: SIGKILL whatever is left in the node's cgroups. A shim killed while it was
# starting a container (containerd stopped in the middle of a pod's creation, which the drain
# cannot list yet) leaves the container's process to init, out of reach of the shim's
# children; its cgroup still names it, and it keeps the pod's network namespace, veth and
# cgroups alive.
node_kill_pods() {
  local i pids
  for ((i = 0; i < 50; i++)); do
    pids=$(node_cgroup_pids)
    [ -n "$pids" ] || return 0
    [ $i -gt 0 ] || say "killing $(wc -w <<<"$pids") process(es) left in the node's cgroups"
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $pids 2>/dev/null || true
    # After the signal, so a thawed process dies before it runs anything.
    node_thaw_pods
    sleep 0.2
  done
  say "processes still in the node's cgroups after 10 s: $(node_cgroup_pids | tr '\n' ' ')"
}

node_down() {
  # kubelet first, so nothing restarts what the drain stops.
  stop local-path-provisioner
  stop coredns
  stop kubelet
  if running containerd >/dev/null; then
    "$TOOLS_BIN/cri-drain" -endpoint "$CONTAINERD_SOCK" -timeout 90s >&2 || say "cri-drain reported errors; cleaning up by hand"
    # The CRI lists a sandbox once it is created; containerd's own store has it from the
    # start of its creation (internal/cri/server/sandbox_run.go), so one the drain could not
    # see is here, for node_cleanup_iptables.
    NODE_SANDBOX_IDS=$("$TOOLS_BIN/ctr" --address "$CONTAINERD_SOCK" -n k8s.io sandboxes ls 2>/dev/null | awk 'NR > 1 { print $1 }') || true
  fi
  stop containerd
  node_settle_cni_plugins
  stop kube-network-policies
  # A shim outlives containerd by design; after the drain none should be left.
  local pid
  for pid in $(node_shims); do
    say "killing leftover containerd shim (pid $pid) and its container"
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  node_kill_pods
  stop kube-proxy
  if [ -x "$TOOLS_BIN/kube-proxy" ] && command -v iptables >/dev/null; then
    "$TOOLS_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || say "kube-proxy --cleanup reported errors"
  fi
  node_cleanup_iptables
  node_cleanup_mounts
  ip link del "$POD_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_IFACE" 2>/dev/null || true
  rm -rf "$NODE_DIR/cni-ipam"
  node_cleanup_cgroups
  if [ -s "$NODE_SYSCTL_SAVE" ]; then
    sysctl -q -p "$NODE_SYSCTL_SAVE" >/dev/null 2>&1 || say "could not restore sysctls from $NODE_SYSCTL_SAVE"
    rm -f "$NODE_SYSCTL_SAVE"
  fi
  rm -rf "$NODE_RUN_DIR"
  # The runc shim keeps runc's state and its sockets under /run/containerd whatever
  # containerd's own state dir is: our namespace's part, and the directories if `up` made them.
  rm -rf /run/containerd/runc/k8s.io
  if [ -f "$NODE_DIR/run-containerd.created" ]; then
    rmdir /run/containerd/runc /run/containerd/s /run/containerd 2>/dev/null || true
    rm -f "$NODE_DIR/run-containerd.created"
  fi
  [ "$(cat "$NODE_OWNER" 2>/dev/null)" = "$CLUSTER_DIR" ] && rm -f "$NODE_OWNER"
  return 0
}

# The NetworkPolicy chain (node_netpol) and the node guard's (node_guard) go first.
# The bridge plugin's per-pod masquerade chains (CNI-<hash>) are removed by CNI DEL; any left
# by a pod whose sandbox could not be drained are found by their comment (the network name).
# The kubelet's own chains (KUBE-FIREWALL with its INPUT/OUTPUT jumps, KUBE-KUBELET-CANARY,
# KUBE-IPTABLES-HINT; pkg/kubelet/kubelet_network_linux.go) survive `kube-proxy --cleanup`
# and go here, for IPv4 and IPv6.
node_cleanup_iptables() {
  command -v iptables >/dev/null || return 0
  local ipt table chain2
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for table in filter nat mangle; do
      for chain2 in INPUT OUTPUT; do
        while "$ipt" -t "$table" -D "$chain2" -j KUBE-FIREWALL 2>/dev/null; do :; done
      done
      for chain2 in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
        "$ipt" -t "$table" -F "$chain2" 2>/dev/null && "$ipt" -t "$table" -X "$chain2" 2>/dev/null || true
      done
    done
  done
  while iptables -t mangle -D POSTROUTING -j "$NETPOL_CHAIN" 2>/dev/null; do :; done
  iptables -t mangle -F "$NETPOL_CHAIN" 2>/dev/null && iptables -t mangle -X "$NETPOL_CHAIN" 2>/dev/null || true
  while iptables -D INPUT -s "$POD_CIDR" -d "$NODE_IP" -j "$NODE_GUARD_CHAIN" 2>/dev/null; do :; done
  iptables -F "$NODE_GUARD_CHAIN" 2>/dev/null && iptables -X "$NODE_GUARD_CHAIN" 2>/dev/null || true
  # The bridge plugin's masquerade rules carry the comment name: "$CNI_NETWORK" id: "<sandbox>".
  # POSTROUTING's jumps go by rule number, last first (a rule's text cannot be given back to
  # -D: -S prints the comment's quotes escaped); then the chains they jumped to, and any
  # chain holding such a rule.
  local n chain chains
  chains=$(iptables -t nat -S 2>/dev/null | awk -v net="$CNI_NETWORK" 'index($0, "name: \\\"" net "\\\"") {
    for (i = 1; i < NF; i++) if (($i == "-A" || $i == "-j") && $(i + 1) ~ /^CNI-/) print $(i + 1) }' | sort -u)
  for n in $(iptables -t nat -L POSTROUTING -n --line-numbers 2>/dev/null | awk -v net="$CNI_NETWORK" 'index($0, "name: \"" net "\"") { print $1 }' | sort -rn); do
    iptables -t nat -D POSTROUTING "$n" 2>/dev/null || true
  done
  # A plugin killed between creating its chain and filling it (containerd stopping cancels the
  # plugins it runs) leaves an empty chain with no comment to find it by; its name is
  # "CNI-" + the first 24 hex digits of sha512(network name + sandbox id)
  # (containernetworking/plugins pkg/utils FormatChainName), for the sandboxes containerd
  # knew (node_down) and those holding an address in the IPAM store.
  local id f ids=${NODE_SANDBOX_IDS:-}
  for f in "$NODE_DIR/cni-ipam/$CNI_NETWORK"/*; do
    [ -f "$f" ] && case "${f##*/}" in [0-9]*.*) ids+=" $(head -n 1 "$f" | tr -d '\r')" ;; esac
  done
  for id in $ids; do
    chains+=" CNI-$(printf '%s' "$CNI_NETWORK$id" | sha512sum | cut -c 1-24)"
  done
  for chain in $(tr ' ' '\n' <<<"$chains" | sort -u); do
    iptables -t nat -S "$chain" >/dev/null 2>&1 || continue
    iptables -t nat -F "$chain" 2>/dev/null || true
    iptables -t nat -X "$chain" 2>/dev/null || say "could not remove the CNI chain $chain (nat)"
  done
}

# Every mount under the node's directories (pod volumes, container rootfs, sandbox shm),
# deepest first.
node_cleanup_mounts() {
  local m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
  done < <(awk -v a="$NODE_DIR/" -v b="$NODE_RUN_DIR/" '{ gsub(/\\040/, " ", $2) } index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

node_cleanup_cgroups() {
  local root d h
  root=$(cat "$NODE_CGROUP_SAVE" 2>/dev/null) || return 0
  [ -n "$root" ] && [ "$root" != / ] || return 0
  while read -r d; do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [ -d "$d" ] && say "cgroup $d still has processes"
  done < <(node_cgroup_dirs)
  # Parents the kubelet created for the path (in hierarchies where this process sits at /).
  local parent=${root%/*}
  while [ -n "$parent" ] && [ "$parent" != / ]; do
    for h in /sys/fs/cgroup/*/; do
      [ "$(awk -F: -v h="$(basename "$h")" '$2 == h || $2 == "name=" h { print $3 }' /proc/self/cgroup)" = / ] || continue
      rmdir "$h${parent#/}" 2>/dev/null || true
    done
    parent=${parent%/*}
  done
}

node_status() {
  local c ok=0
  for c in containerd kube-network-policies kubelet kube-proxy coredns local-path-provisioner; do
    if pid=$(running "$c"); then
      printf '%-24s running  pid %-7s\n' "$c" "$pid"
    else
      printf '%-24s stopped\n' "$c"
      ok=1
    fi
  done
  node_ready && echo "node $NODE_NAME: Ready" || { echo "node $NODE_NAME: NOT Ready"; ok=1; }
  return $ok
}
