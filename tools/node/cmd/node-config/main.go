// Command node-config writes the configuration of the embedded cluster's node: containerd,
// the CNI network, the kubelet, kube-proxy, CoreDNS, and the cluster add-ons (the default
// StorageClass and local-path-provisioner's objects). scripts/cluster.sh calls it on every
// `up`, so a changed setting takes effect on the next start.
//
// Every file is rendered from a typed value with the library that owns its format; no
// shell template writes any of them.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// settings is what cluster.sh knows at start time (state paths, ports, addresses).
type settings struct {
	dir            string // where the node's files go ($STATE_DIR/cluster/node)
	stateDir       string // containerd/kubelet/CNI state root
	runDir         string // sockets and runtime state (short path: unix sockets)
	nodeName       string
	nodeIP         string
	podCIDR        string
	serviceCIDR    string
	clusterDomain  string
	bridge         string
	cgroupRoot     string
	kubeletPort    int
	kubeletHealthz int
	proxyHealthz   int
	proxyMetrics   int
	dnsHealth      int
	dnsReady       int
	kubeconfig     string
	sandboxImage   string
	helperImage    string
	localPathDir   string
	localPathYAML  string
	cniBinDir      string
	runcBinary     string
	upstreamDNS    string
}

func main() {
	var s settings
	flag.StringVar(&s.dir, "dir", "", "directory the configuration files are written to")
	flag.StringVar(&s.stateDir, "state-dir", "", "directory for containerd, kubelet and CNI state")
	flag.StringVar(&s.runDir, "run-dir", "", "directory for sockets and runtime state")
	flag.StringVar(&s.nodeName, "node-name", "cloud-codex-node", "the node's name")
	flag.StringVar(&s.nodeIP, "node-ip", "", "the node's address (on its own dummy interface)")
	flag.StringVar(&s.podCIDR, "pod-cidr", "", "pod network (the CNI bridge's subnet)")
	flag.StringVar(&s.serviceCIDR, "service-cidr", "", "Service ClusterIP range (as kube-apiserver's)")
	flag.StringVar(&s.clusterDomain, "cluster-domain", "cluster.local", "cluster DNS domain")
	flag.StringVar(&s.bridge, "bridge", "", "name of the CNI bridge interface")
	flag.StringVar(&s.cgroupRoot, "cgroup-root", "", "cgroup path every pod cgroup is nested under")
	flag.IntVar(&s.kubeletPort, "kubelet-port", 0, "kubelet's API port")
	flag.IntVar(&s.kubeletHealthz, "kubelet-healthz-port", 0, "kubelet's /healthz port (loopback)")
	flag.IntVar(&s.proxyHealthz, "proxy-healthz-port", 0, "kube-proxy's /healthz port (loopback)")
	flag.IntVar(&s.proxyMetrics, "proxy-metrics-port", 0, "kube-proxy's metrics port (loopback)")
	flag.IntVar(&s.dnsHealth, "dns-health-port", 0, "CoreDNS /health port (loopback)")
	flag.IntVar(&s.dnsReady, "dns-ready-port", 0, "CoreDNS /ready port (loopback)")
	flag.StringVar(&s.kubeconfig, "kubeconfig", "", "kubeconfig the node's components use")
	flag.StringVar(&s.sandboxImage, "sandbox-image", "", "the pod sandbox (pause) image reference")
	flag.StringVar(&s.helperImage, "helper-image", "", "image of local-path-provisioner's helper pods")
	flag.StringVar(&s.localPathDir, "local-path-dir", "", "directory PersistentVolumes are created in")
	flag.StringVar(&s.localPathYAML, "local-path-manifest", "", "upstream deploy/local-path-storage.yaml (from the module cache)")
	flag.StringVar(&s.cniBinDir, "cni-bin-dir", "/usr/lib/cni", "directory of the CNI plugin binaries")
	flag.StringVar(&s.runcBinary, "runc", "/usr/sbin/runc", "the runc binary")
	flag.StringVar(&s.upstreamDNS, "upstream-dns", "/etc/resolv.conf", "where CoreDNS forwards names outside the cluster")
	flag.Parse()
	if err := s.check(); err != nil {
		fmt.Fprintln(os.Stderr, "node-config:", err)
		os.Exit(2)
	}
	if err := writeAll(s); err != nil {
		fmt.Fprintln(os.Stderr, "node-config:", err)
		os.Exit(1)
	}
}

func (s settings) check() error {
	for name, v := range map[string]string{
		"-dir": s.dir, "-state-dir": s.stateDir, "-run-dir": s.runDir, "-node-ip": s.nodeIP,
		"-pod-cidr": s.podCIDR, "-service-cidr": s.serviceCIDR, "-bridge": s.bridge,
		"-cgroup-root": s.cgroupRoot, "-kubeconfig": s.kubeconfig, "-sandbox-image": s.sandboxImage,
		"-helper-image": s.helperImage, "-local-path-dir": s.localPathDir, "-local-path-manifest": s.localPathYAML,
	} {
		if v == "" {
			return fmt.Errorf("%s is required", name)
		}
	}
	for name, v := range map[string]int{
		"-kubelet-port": s.kubeletPort, "-kubelet-healthz-port": s.kubeletHealthz, "-proxy-healthz-port": s.proxyHealthz,
		"-proxy-metrics-port": s.proxyMetrics, "-dns-health-port": s.dnsHealth, "-dns-ready-port": s.dnsReady,
	} {
		if v <= 0 || v > 65535 {
			return fmt.Errorf("%s must be a port number, got %d", name, v)
		}
	}
	return nil
}

// Paths of the files written, relative to -dir; cluster.sh uses the same names.
const (
	containerdFile = "containerd.toml"
	cniDir         = "cni"
	cniFile        = "10-cloud-codex.conflist"
	kubeletFile    = "kubelet.yaml"
	kubeProxyFile  = "kube-proxy.yaml"
	corefileFile   = "Corefile"
	addonsFile     = "addons.yaml"
)

func writeAll(s settings) error {
	files := []struct {
		name   string
		render func(settings) ([]byte, error)
	}{
		{containerdFile, containerdConfig},
		{filepath.Join(cniDir, cniFile), cniConfig},
		{kubeletFile, kubeletConfig},
		{kubeProxyFile, kubeProxyConfig},
		{corefileFile, corefile},
		{addonsFile, addons},
	}
	// Render everything first: a bad setting writes nothing.
	rendered := make([][]byte, len(files))
	for i, f := range files {
		b, err := f.render(s)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		rendered[i] = b
	}
	for i, f := range files {
		if err := writeFile(filepath.Join(s.dir, f.name), rendered[i]); err != nil {
			return err
		}
	}
	return nil
}

// writeFile replaces path atomically (a daemon reading it never sees half a file).
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
