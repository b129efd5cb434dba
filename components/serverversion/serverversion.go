// Package serverversion checks, before anything is registered, that the cluster runs a
// Kubernetes the components work on. It is a pre-flight check of the target, not a
// component, so it lives beside them and imports none of them.
package serverversion

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// MinKubernetesMinor is the oldest Kubernetes 1.x this program deploys to: the pool's
// codex-cli station is a native sidecar (initContainers[].restartPolicy: Always), GA
// (enabled by default) since 1.29. On 1.28 the field is dropped while its feature gate is
// off, and the station becomes an init container that never ends: the pool sits in Init.
const MinKubernetesMinor = 29

// ErrUnknown means the API server's version could not be read (unreachable,
// anonymous /version refused, kubeconfig without a usable cluster). The caller goes on:
// the provider then reports the real problem, with its own credentials.
var ErrUnknown = errors.New("API server version unknown")

// Check reads the API server's version anonymously from /version (public to
// every client by Kubernetes' default RBAC, system:public-info-viewer) and refuses one
// older than 1.MinKubernetesMinor with a message saying so. kubeconfig is a path or the
// file's contents; empty means $KUBECONFIG's first file, else ~/.kube/config. It costs one
// HTTPS request with a short timeout.
func Check(ctx context.Context, kubeconfig, kubeContext string) (string, error) {
	server, tlsConfig, err := kubeconfigServer(kubeconfig, kubeContext)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnknown, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(server, "/")+"/version", nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnknown, err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment}}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnknown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: GET %s/version: %s", ErrUnknown, server, resp.Status)
	}
	var v struct {
		Major, Minor, GitVersion string
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", fmt.Errorf("%w: GET %s/version: %v", ErrUnknown, server, err)
	}
	return v.GitVersion, checkVersion(v.Major, v.Minor, v.GitVersion)
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

// kubeconfigServer finds the current (or named) context's cluster: its server URL and a TLS
// config trusting its CA. Credentials are not read: /version needs none.
func kubeconfigServer(kubeconfig, kubeContext string) (string, *tls.Config, error) {
	data, base, err := readKubeconfig(kubeconfig)
	if err != nil {
		return "", nil, err
	}
	var kc struct {
		CurrentContext string `yaml:"current-context"`
		Contexts       []struct {
			Name    string
			Context struct{ Cluster string }
		}
		Clusters []struct {
			Name    string
			Cluster struct {
				Server                   string
				CertificateAuthority     string `yaml:"certificate-authority"`
				CertificateAuthorityData string `yaml:"certificate-authority-data"`
				InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
				TLSServerName            string `yaml:"tls-server-name"`
			}
		}
	}
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return "", nil, fmt.Errorf("kubeconfig: %v", err)
	}
	ctxName := kubeContext
	if ctxName == "" {
		ctxName = kc.CurrentContext
	}
	clusterName := ""
	for _, c := range kc.Contexts {
		if c.Name == ctxName {
			clusterName = c.Context.Cluster
		}
	}
	for _, c := range kc.Clusters {
		if c.Name != clusterName || clusterName == "" {
			continue
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.Cluster.TLSServerName, InsecureSkipVerify: c.Cluster.InsecureSkipTLSVerify} // #nosec G402 -- only when the kubeconfig itself says so
		var pem []byte
		switch {
		case c.Cluster.CertificateAuthorityData != "":
			pem, err = base64.StdEncoding.DecodeString(c.Cluster.CertificateAuthorityData)
		case c.Cluster.CertificateAuthority != "":
			path := c.Cluster.CertificateAuthority
			if !filepath.IsAbs(path) && base != "" {
				path = filepath.Join(base, path)
			}
			pem, err = os.ReadFile(path)
		}
		if err != nil {
			return "", nil, fmt.Errorf("cluster %s CA: %v", clusterName, err)
		}
		if len(pem) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return "", nil, fmt.Errorf("cluster %s CA: no certificate in it", clusterName)
			}
			cfg.RootCAs = pool
		}
		return c.Cluster.Server, cfg, nil
	}
	return "", nil, fmt.Errorf("kubeconfig: context %q has no cluster", ctxName)
}

// readKubeconfig returns the kubeconfig's bytes and the directory relative paths in it are
// resolved against ("" for inline contents).
func readKubeconfig(kubeconfig string) ([]byte, string, error) {
	if strings.Contains(kubeconfig, "\n") {
		return []byte(kubeconfig), "", nil
	}
	path := kubeconfig
	if path == "" {
		if env := os.Getenv("KUBECONFIG"); env != "" {
			path = filepath.SplitList(env)[0]
		} else if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, ".kube", "config")
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	return data, filepath.Dir(path), nil
}
