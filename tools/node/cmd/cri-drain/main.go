// Command cri-drain stops and removes every pod sandbox of a container runtime through the
// CRI, as the kubelet would: the runtime then runs CNI DEL for each (releasing the pod's
// address, its veth and its NAT rules) and unmounts the sandbox. scripts/cluster.sh runs it
// on `down` after stopping the kubelet, so nothing of the pods outlives the node.
//
// Usage: cri-drain -endpoint /path/to/containerd.sock [-timeout 60s]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	endpoint := flag.String("endpoint", "", "the runtime's CRI unix socket")
	timeout := flag.Duration("timeout", 60*time.Second, "time allowed for the whole drain")
	flag.Parse()
	if *endpoint == "" {
		fmt.Fprintln(os.Stderr, "cri-drain: -endpoint is required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	n, err := drain(ctx, *endpoint)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cri-drain:", err)
		os.Exit(1)
	}
	fmt.Printf("cri-drain: removed %d pod sandbox(es)\n", n)
}

func drain(ctx context.Context, endpoint string) (int, error) {
	conn, err := grpc.NewClient("unix://"+endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, fmt.Errorf("connecting to %s: %w", endpoint, err)
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	list, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return 0, fmt.Errorf("listing pod sandboxes on %s: %w", endpoint, err)
	}
	var failed []string
	for _, sb := range list.Items {
		name := sb.Metadata.Namespace + "/" + sb.Metadata.Name
		if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			failed = append(failed, fmt.Sprintf("stop %s: %v", name, err))
			continue
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			failed = append(failed, fmt.Sprintf("remove %s: %v", name, err))
		}
	}
	if len(failed) > 0 {
		return len(list.Items) - len(failed), fmt.Errorf("%d of %d sandboxes not removed: %v", len(failed), len(list.Items), failed)
	}
	return len(list.Items), nil
}
