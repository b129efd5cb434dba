package config

import (
	"os"
	"path/filepath"
)

// LocalKubeconfig is where `make cluster-up` writes the embedded cluster's kubeconfig.
func LocalKubeconfig() string {
	dir := os.Getenv("STATE_DIR")
	if dir == "" {
		dir = ".state"
	}
	abs, err := filepath.Abs(filepath.Join(dir, "kubeconfig"))
	if err != nil {
		return filepath.Join(dir, "kubeconfig")
	}
	return abs
}

// UsesLocalCluster reports whether the stack deploys to the embedded API server: it asks
// for it and names no other cluster (no cluster.kubeconfig, no $KUBECONFIG), and is not in
// render mode.
func (s Stack) UsesLocalCluster() bool {
	return s.Cluster.Local && s.Cluster.Kubeconfig == "" && os.Getenv("KUBECONFIG") == "" && s.Cluster.RenderTo == ""
}

// Kubeconfig is what the Kubernetes provider gets: the stack's, the local cluster's, or
// empty for the provider's own lookup ($KUBECONFIG, ~/.kube/config).
func (s Stack) Kubeconfig() string {
	if s.Cluster.Kubeconfig != "" {
		return s.Cluster.Kubeconfig
	}
	if s.UsesLocalCluster() {
		return LocalKubeconfig()
	}
	return ""
}

// SkipAwait is on for the embedded cluster unless the stack says otherwise (its pool waits
// for a first device-auth, and the tests wait for the pods they need); off for real clusters.
func (s Stack) SkipAwait() bool {
	if s.Cluster.SkipAwait != nil {
		return *s.Cluster.SkipAwait
	}
	return s.UsesLocalCluster()
}
