package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// validateCluster refuses cluster settings that contradict each other or point nowhere.
func (s Stack) validateCluster() []error {
	c := s.Cluster
	var errs []error
	if c.Context != "" && c.Kubeconfig == "" && c.Local {
		errs = append(errs, &KeyError{Path: Namespace + ":cluster.context",
			Msg: "a context needs a kubeconfig: set cluster.kubeconfig, or drop cluster.context to use the local cluster"})
	}
	if c.Local && c.Kubeconfig != "" {
		// UsesLocalCluster: the kubeconfig wins, so the stack would silently deploy elsewhere.
		named := "the kubeconfig's contents"
		if !kubeconfigContents(c.Kubeconfig) {
			named = fmt.Sprintf("%q", c.Kubeconfig)
		}
		errs = append(errs, &KeyError{Path: Namespace + ":cluster", Msg: fmt.Sprintf(
			"cluster.local asks for the embedded cluster and cluster.kubeconfig names another one (%s), which would win silently; drop cluster.local to deploy to the kubeconfig's cluster, or drop cluster.kubeconfig to deploy to the embedded one (make cluster-up)", named)})
	}
	if c.RenderTo != "" && c.Local {
		errs = append(errs, &KeyError{Path: Namespace + ":cluster.renderTo", Msg: fmt.Sprintf(
			"render mode writes manifests to %q and touches no cluster, but cluster.local asks for the embedded cluster; drop cluster.local (and keep render mode on a stack of its own) or drop cluster.renderTo", c.RenderTo)})
	}
	// Render mode reaches no cluster, so a kubeconfig that is not on this machine (a GitOps
	// job rendering for a remote cluster) is no mistake there.
	if c.Kubeconfig != "" && c.RenderTo == "" {
		if err := checkKubeconfigPath(c.Kubeconfig); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// kubeconfigContents reports a value that is a kubeconfig's contents rather than a path: a
// path is one line, contents are YAML (several lines, "apiVersion: ...") or JSON ("{").
func kubeconfigContents(v string) bool {
	t := strings.TrimSpace(v)
	return strings.Contains(t, "\n") || strings.HasPrefix(t, "{") || strings.HasPrefix(t, "apiVersion:")
}

// checkKubeconfigPath refuses a kubeconfig path with no file behind it. The Kubernetes
// provider expands "~/" and treats a path it cannot stat as the kubeconfig's contents
// (pulumi-kubernetes, provider/pkg/provider: "If the variable is a valid filepath, load
// the file ... else assume the contents are a k8s config"), so a typo or a missing file
// is not reported as such: preview carries on and fails, or targets nothing, later.
func checkKubeconfigPath(v string) error {
	if kubeconfigContents(v) {
		return nil
	}
	path := v
	if home, err := os.UserHomeDir(); err == nil {
		if path == "~" {
			path = home
		} else if rest, ok := strings.CutPrefix(path, "~/"); ok {
			path = filepath.Join(home, rest)
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return &KeyError{Path: Namespace + ":cluster.kubeconfig", Msg: fmt.Sprintf(
			"no kubeconfig file at %q (%s): set the path of an existing kubeconfig (absolute paths are safest; relative ones are read from the project directory), paste the file's contents, or drop the key to use $KUBECONFIG",
			v, abs)}
	case info.IsDir():
		return &KeyError{Path: Namespace + ":cluster.kubeconfig", Msg: fmt.Sprintf(
			"%q (%s) is a directory: name the kubeconfig file inside it", v, abs)}
	}
	return nil
}
