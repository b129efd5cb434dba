package components

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// CheckCredentialURL checks a URL that credentials are sent to: the ChatGPT backend and the
// OAuth token endpoint (the pool's access and refresh tokens), the agent platform's API (the
// agent's runtime token), another provider's API base (its API key). Beyond CheckHTTPURL:
// https://, because over plain http:// every hop between the pod and the host reads the token.
// Plain http:// is allowed only where the traffic cannot leave the cluster's own network: a
// loopback or private address, or a Service's cluster DNS name (a gateway or a stand-in inside
// the cluster, as the running-system test's stand-in on the node's address).
func CheckCredentialURL(field, v string) error {
	if err := CheckHTTPURL(field, v); err != nil {
		return err
	}
	u, _ := url.Parse(v)
	if u.Scheme == "https" || clusterLocalHost(u.Hostname()) {
		return nil
	}
	return &FieldError{field, fmt.Sprintf("%q", redactedURL(v)), fmt.Sprintf(
		"sends credentials in clear text to %s: use https:// (plain http:// only to a loopback or private address, or a Service's cluster DNS name such as gateway.egress.svc.cluster.local)", u.Hostname())}
}

// clusterLocalHost reports whether host is a loopback or private (RFC 1918, RFC 4193) address,
// localhost, or a Kubernetes Service name under svc.cluster.local.
func clusterLocalHost(host string) bool {
	if addr, err := netip.ParseAddr(host); err == nil {
		addr = addr.Unmap()
		return addr.IsLoopback() || addr.IsPrivate()
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return host == "localhost" || strings.HasSuffix(host, ".svc") || strings.HasSuffix(host, ".svc.cluster.local")
}
