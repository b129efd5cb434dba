// Command kube-network-policies enforces NetworkPolicy on the embedded cluster's node with the
// controller of sigs.k8s.io/kube-network-policies v0.8.0 (pkg/networkpolicy), wired the way its
// own cmd/main.go wires it, with three differences that this node needs:
//
//   - it reads a kubeconfig (-kubeconfig) instead of the in-cluster service account: it runs
//     as a process of the node, like the kubelet, not as a pod;
//   - it reaches containerd's NRI socket at -nri-socket (the node keeps its sockets in its own
//     run directory) by handing the stub a pre-connected socket through NRI_PLUGIN_SOCKET, the
//     stub's documented way in (containerd/nri pkg/stub: connect);
//   - it evaluates what the node's iptables chain queues (scripts/node.sh, node_netpol). The
//     controller's own nftables table uses the nft `queue` statement, and this kernel has no
//     CONFIG_NFT_QUEUE; it has the xtables NFQUEUE target, so the node queues with iptables:
//     new connections from or to a pod, not from the node's root processes. Upstream queues
//     only the pods some policy selects (a set it keeps); the chain queues every pod, and the
//     evaluator allows what no policy selects, so the verdicts are the same. The controller's
//     table then fails to load (logged on every sync, harmless: the batch is atomic, so
//     nothing of it is left).
//
// What is allowed is decided by upstream's evaluator alone (pkg/networkpolicy/networkpolicy.go);
// nothing here interprets a policy.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "kube-network-policies: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		kubeconfig = flag.String("kubeconfig", "", "kubeconfig of the API server (required)")
		nodeName   = flag.String("hostname-override", "", "the Node's name in the API (required)")
		nriSocket  = flag.String("nri-socket", "", "containerd's NRI socket; empty: pod IPs come from the API server only")
		queueID    = flag.Int("nfqueue-id", 100, "the netfilter queue the node's iptables chain sends packets to")
		failOpen   = flag.Bool("fail-open", false, "accept queued packets while no controller listens")
		metrics    = flag.String("metrics-bind-address", "127.0.0.1:9080", "address of the /metrics endpoint")
	)
	klog.InitFlags(nil)
	flag.Parse()
	if *kubeconfig == "" || *nodeName == "" {
		return fmt.Errorf("-kubeconfig and -hostname-override are required")
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", *kubeconfig, err)
	}
	config.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	config.ContentType = "application/vnd.kubernetes.protobuf"
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return fmt.Errorf("client for %s: %w", *kubeconfig, err)
	}

	cfg := networkpolicy.Config{
		FailOpen: *failOpen,
		QueueID:  *queueID,
		NodeName: *nodeName,
		// Kernels from 6.12 carry the conntrack fix this works around (upstream's flag help);
		// this node's kernel is newer, and the node's chain has no PREROUTING part for it.
		NetfilterBug1766Fix: false,
		NRIdisabled:         *nriSocket == "",
	}
	if *nriSocket != "" {
		// Kept open for the process's life: the stub builds its connection from this fd.
		sock, err := preconnectNRI(*nriSocket)
		if err != nil {
			return err
		}
		defer sock.Close()
	}

	http.Handle("/metrics", promhttp.Handler())
	listener, err := net.Listen("tcp", *metrics)
	if err != nil {
		return fmt.Errorf("metrics address %s: %w", *metrics, err)
	}
	go func() { _ = http.Serve(listener, nil) }()

	factory := informers.NewSharedInformerFactory(client, 0)
	controller, err := networkpolicy.NewController(client,
		factory.Networking().V1().NetworkPolicies(),
		factory.Core().V1().Namespaces(),
		factory.Core().V1().Pods(),
		nil, nil, nil, nil, // node informer and the admin network policy APIs: not used
		cfg)
	if err != nil {
		return fmt.Errorf("creating the controller: %w", err)
	}
	errs := make(chan error, 1)
	go func() { errs <- controller.Run(ctx) }()
	factory.Start(ctx.Done())

	select {
	case <-ctx.Done():
		// Upstream's grace period: the controller removes what it installed.
		time.Sleep(2 * time.Second)
		return nil
	case err := <-errs:
		if err != nil {
			return fmt.Errorf("controller: %w", err)
		}
		return fmt.Errorf("controller stopped")
	}
}

// preconnectNRI dials containerd's NRI socket and hands the connection to the NRI stub the
// controller creates, which takes a pre-connected socket's fd from NRI_PLUGIN_SOCKET.
func preconnectNRI(path string) (*os.File, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("containerd's NRI socket %s (is NRI enabled in containerd's config?): %w", path, err)
	}
	f, err := conn.(*net.UnixConn).File()
	_ = conn.Close()
	if err != nil {
		return nil, fmt.Errorf("NRI socket %s: %w", path, err)
	}
	if err := os.Setenv(nriapi.PluginSocketEnvVar, strconv.Itoa(int(f.Fd()))); err != nil {
		return nil, err
	}
	return f, nil
}
