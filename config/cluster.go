package config

import (
	"fmt"
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

// KubeconfigEnvWarning is the warning main.go logs at program start when the stack asks for
// the embedded cluster but $KUBECONFIG is set (empty otherwise). The environment names
// another cluster, and it wins, as in scripts/pulumi.sh, which then does not start the
// embedded cluster: the run targets $KUBECONFIG's cluster with skipAwait off by default. It
// is not an error: `make up` with KUBECONFIG exported on purpose is documented (README,
// Using a real cluster), but nothing else in the output would say which cluster is used.
func (s Stack) KubeconfigEnvWarning() string {
	env := os.Getenv("KUBECONFIG")
	c := s.Cluster
	if !c.Local || c.Kubeconfig != "" || c.RenderTo != "" || env == "" {
		return ""
	}
	local := LocalKubeconfig()
	same := ""
	if abs, err := filepath.Abs(env); err == nil && abs == local {
		same = " ($KUBECONFIG is the embedded cluster's own kubeconfig, but it still counts as another cluster)"
	}
	return fmt.Sprintf("cluster.local is true, but $KUBECONFIG is set (%s)%s: this run deploys to the cluster $KUBECONFIG names, "+
		"not to the embedded cluster (%s); scripts/pulumi.sh did not start the embedded cluster, and cluster.skipAwait defaults to false. "+
		"To deploy to the embedded cluster, unset it: `env -u KUBECONFIG make up`; to deploy to $KUBECONFIG's cluster on purpose, drop cluster.local from the stack",
		env, same, local)
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
