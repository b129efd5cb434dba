package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// containerd's configuration file, version 3 (containerd 2.x), for the fields this node sets;
// everything else keeps containerd's defaults. Field names are containerd's
// (cmd/containerd/server/config and the CRI plugin's config in internal/cri/config).
type containerdFileConfig struct {
	Version int               `toml:"version"`
	Root    string            `toml:"root"`
	State   string            `toml:"state"`
	GRPC    containerdGRPC    `toml:"grpc"`
	TTRPC   containerdAddress `toml:"ttrpc"`
	Debug   containerdAddress `toml:"debug"`
	Plugins containerdPlugins `toml:"plugins"`
}

type containerdGRPC struct {
	Address string `toml:"address"`
}

type containerdAddress struct {
	Address string `toml:"address"`
}

type containerdPlugins struct {
	CRIImages  criImages  `toml:"io.containerd.cri.v1.images"`
	CRIRuntime criRuntime `toml:"io.containerd.cri.v1.runtime"`
	CRIGRPC    criGRPC    `toml:"io.containerd.grpc.v1.cri"`
	NRI        nriConfig  `toml:"io.containerd.nri.v1.nri"`
}

// nriConfig is containerd's NRI plugin (internal/nri/config.go). Its default socket is
// machine-wide (/var/run/nri/nri.sock) and outlives containerd; the node keeps it in its own run
// directory, where the NetworkPolicy controller (tools/netpol) connects to learn pod IPs from the
// runtime before the API server publishes them.
type nriConfig struct {
	Disable    bool   `toml:"disable"`
	SocketPath string `toml:"socket_path"`
}

type criImages struct {
	Snapshotter  string            `toml:"snapshotter"`
	PinnedImages map[string]string `toml:"pinned_images"`
}

type criRuntime struct {
	// RestrictOOMScoreAdj clamps the OOM score the kubelet asks for (-998 for a sandbox) to
	// containerd's own: a session here runs without CAP_SYS_RESOURCE, so lowering a score is
	// refused and runc fails every sandbox ("failed to update /proc/self/oom_score_adj").
	RestrictOOMScoreAdj bool `toml:"restrict_oom_score_adj"`
	// NetNSMountsUnderStateDir puts each pod's network namespace mount under the CRI state
	// dir (<state>/io.containerd.grpc.v1.cri/netns, internal/cri/server/sandbox_run.go), inside
	// the node's run directory, instead of the machine-wide /var/run/netns: a sandbox whose
	// creation a stop cut short is then unmounted with everything else of the node's.
	NetNSMountsUnderStateDir bool          `toml:"netns_mounts_under_state_dir"`
	Containerd               criContainerd `toml:"containerd"`
	CNI                      criCNI        `toml:"cni"`
}

type criContainerd struct {
	DefaultRuntimeName string             `toml:"default_runtime_name"`
	Runtimes           map[string]criRunc `toml:"runtimes"`
}

type criRunc struct {
	RuntimeType string         `toml:"runtime_type"`
	Options     criRuncOptions `toml:"options"`
}

type criRuncOptions struct {
	BinaryName    string `toml:"BinaryName"`
	SystemdCgroup bool   `toml:"SystemdCgroup"`
}

type criCNI struct {
	BinDirs []string `toml:"bin_dirs"`
	ConfDir string   `toml:"conf_dir"`
	// One network for the whole node: the conflist this tool writes.
	MaxConfNum int `toml:"max_conf_num"`
}

type criGRPC struct {
	// The streaming server (exec, attach, port-forward) the kubelet redirects to: loopback only.
	StreamServerAddress string `toml:"stream_server_address"`
	StreamServerPort    string `toml:"stream_server_port"`
}

// nriSocket is containerd's NRI socket; scripts/node.sh passes the same path to the
// NetworkPolicy controller.
func nriSocket(s settings) string { return filepath.Join(s.runDir, "nri.sock") }

// ContainerdSocket is where containerd listens; the kubelet's containerRuntimeEndpoint and
// cluster.sh (ctr, cri-drain) use the same path.
func containerdSocket(s settings) string { return filepath.Join(s.runDir, "containerd.sock") }

func containerdConfig(s settings) ([]byte, error) {
	c := containerdFileConfig{
		Version: 3,
		Root:    filepath.Join(s.stateDir, "containerd"),
		State:   filepath.Join(s.runDir, "containerd"),
		GRPC:    containerdGRPC{Address: containerdSocket(s)},
		TTRPC:   containerdAddress{Address: filepath.Join(s.runDir, "containerd.ttrpc.sock")},
		Debug:   containerdAddress{Address: filepath.Join(s.runDir, "containerd.debug.sock")},
		Plugins: containerdPlugins{
			CRIImages: criImages{
				Snapshotter:  "overlayfs",
				PinnedImages: map[string]string{"sandbox": s.sandboxImage},
			},
			CRIRuntime: criRuntime{
				RestrictOOMScoreAdj:      restrictOOMScoreAdj(),
				NetNSMountsUnderStateDir: true,
				Containerd: criContainerd{
					DefaultRuntimeName: "runc",
					Runtimes: map[string]criRunc{"runc": {
						RuntimeType: "io.containerd.runc.v2",
						// cgroupfs, as the kubelet: this machine has no systemd managing cgroups.
						Options: criRuncOptions{BinaryName: s.runcBinary, SystemdCgroup: false},
					}},
				},
				CNI: criCNI{BinDirs: []string{s.cniBinDir}, ConfDir: filepath.Join(s.dir, cniDir), MaxConfNum: 1},
			},
			CRIGRPC: criGRPC{StreamServerAddress: "127.0.0.1", StreamServerPort: "0"},
			NRI:     nriConfig{SocketPath: nriSocket(s)},
		},
	}
	return toml.Marshal(c)
}

// restrictOOMScoreAdj reports whether this process lacks CAP_SYS_RESOURCE (bit 24 of its
// effective capabilities), without which no process may lower its OOM score.
func restrictOOMScoreAdj() bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err != nil || caps&(1<<24) == 0
		}
	}
	return true
}
