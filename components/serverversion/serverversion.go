// Package serverversion checks, before anything is registered, that the cluster runs a
// Kubernetes the components work on. It is a pre-flight check of the target, not a
// component, so it lives beside them and imports none of them.
package serverversion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// MinKubernetesMinor is the oldest Kubernetes 1.x this program deploys to: the pool's
// codex-cli station is a native sidecar (initContainers[].restartPolicy: Always), GA
// (enabled by default) since 1.29. On 1.28 the field is dropped while its feature gate is
// off, and the station becomes an init container that never ends: the pool sits in Init.
const MinKubernetesMinor = 29

// ErrUnknown means the API server's version could not be read: no usable kubeconfig, the
// server unreachable, or /version refused with the kubeconfig's own credentials. The
// caller warns (UnknownWarning) and goes on: the Kubernetes provider then reports the
// problem with the same kubeconfig, or deploys to a server this check could not judge.
var ErrUnknown = errors.New("API server version unknown")

// timeout bounds the whole check (an exec credential plugin included).
const timeout = 10 * time.Second

// Check reads the API server's version from /version, as `kubectl version` does, and
// refuses one older than 1.MinKubernetesMinor with a message saying so. It connects as the
// Kubernetes provider will: kubeconfig is a path or the file's contents; empty means
// client-go's default loading rules (every file of $KUBECONFIG, merged with its rules,
// else ~/.kube/config); kubeContext, when set, overrides the current context. The
// kubeconfig's credentials are sent (bearer token or token file, client certificate, basic
// auth, exec plugin), so a server that refuses anonymous requests still answers. One
// request, with a short timeout.
func Check(ctx context.Context, kubeconfig, kubeContext string) (string, error) {
	cfg, err := restConfig(kubeconfig, kubeContext)
	if err != nil {
		return "", fmt.Errorf("%w: kubeconfig: %v", ErrUnknown, err)
	}
	cfg.Timeout = timeout
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrUnknown, cfg.Host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	server, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnknown, err)
	}
	url := strings.TrimSuffix(server.String(), "/") + "/version"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnknown, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: GET %s: %v", ErrUnknown, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: GET %s: %s", ErrUnknown, url, describe(resp.StatusCode))
	}
	var v version.Info
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", fmt.Errorf("%w: GET %s: %v", ErrUnknown, url, err)
	}
	return v.GitVersion, checkVersion(v.Major, v.Minor, v.GitVersion)
}

// restConfig resolves the kubeconfig as the Kubernetes provider does (see Check).
func restConfig(kubeconfig, kubeContext string) (*rest.Config, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	if isContents(kubeconfig) {
		raw, err := clientcmd.Load([]byte(kubeconfig))
		if err != nil {
			return nil, err
		}
		return clientcmd.NewNonInteractiveClientConfig(*raw, kubeContext, overrides, nil).ClientConfig()
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
}

// isContents tells a kubeconfig's contents (YAML over several lines, or JSON) from a path.
func isContents(kubeconfig string) bool {
	return strings.Contains(kubeconfig, "\n") || strings.HasPrefix(strings.TrimSpace(kubeconfig), "{")
}

// describe names what a refusal means, in terms a user can act on.
func describe(code int) string {
	status := fmt.Sprintf("%d %s", code, http.StatusText(code))
	switch code {
	case http.StatusUnauthorized:
		return status + ": the API server did not accept the kubeconfig's credentials (none, an expired token or certificate?)"
	case http.StatusForbidden:
		return status + ": the kubeconfig's user may not read /version (RBAC: system:public-info-viewer)"
	}
	return status
}

// UnknownWarning is what `up` and `preview` print when the version could not be read: the
// reason, and how to check by hand.
func UnknownWarning(err error, kubeContext string) string {
	kubectl := "kubectl version"
	if kubeContext != "" {
		kubectl += " --context " + kubeContext
	}
	return fmt.Sprintf("could not check the cluster's Kubernetes version (%v). cloud-codex needs Kubernetes 1.%d or newer: "+
		"the auth pool's codex-cli station is a native sidecar, and on an older API server the LiteLLM pod stays in Init. "+
		"Check by hand with `%s` (Server Version, with the same kubeconfig as the stack) before relying on this deployment",
		err, MinKubernetesMinor, kubectl)
}

// checkVersion compares major/minor ("1", "28+" on some providers) with the minimum.
func checkVersion(major, minor, git string) error {
	maj, err1 := strconv.Atoi(strings.TrimRight(major, "+"))
	min, err2 := strconv.Atoi(strings.TrimRight(minor, "+"))
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%w: unparsable version %q.%q (%s)", ErrUnknown, major, minor, git)
	}
	if maj > 1 || (maj == 1 && min >= MinKubernetesMinor) {
		return nil
	}
	return fmt.Errorf("the cluster runs Kubernetes %s; cloud-codex needs 1.%d or newer: the auth pool's codex-cli "+
		"device-auth station is a native sidecar (initContainers[].restartPolicy: Always), which older API servers "+
		"drop or refuse, leaving the LiteLLM pod stuck in Init. Upgrade the cluster, or point the stack at another one (cluster.kubeconfig)",
		git, MinKubernetesMinor)
}
