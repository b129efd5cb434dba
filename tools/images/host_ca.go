package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// hostCADir is where Debian keeps local (non-Mozilla) CAs that update-ca-certificates adds
// to the system bundle. On a machine whose egress goes through a TLS-inspecting proxy, the
// proxy's CA is there, and the host's npm trusts it (NODE_EXTRA_CA_CERTS).
const hostCADir = "/usr/local/share/ca-certificates"

// nodeExtraCAPath is where the node stand-ins carry those CAs; NODE_EXTRA_CA_CERTS points
// at it, so npm and codex in a pod trust what this machine trusts. Pods egress through this
// machine's NAT, so they meet the same proxy. Only the local stand-ins carry it: a pulled
// real image is unchanged.
const nodeExtraCAPath = "/usr/local/share/cloud-codex/host-ca.pem"

// hostExtraCAs is the concatenated PEM of the host's local CAs ("" when it has none).
func hostExtraCAs() string {
	paths, _ := filepath.Glob(filepath.Join(hostCADir, "*.crt"))
	more, _ := filepath.Glob(filepath.Join(hostCADir, "*", "*.crt"))
	paths = append(paths, more...)
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(data), "BEGIN CERTIFICATE") {
			continue
		}
		b.Write(data)
		if !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// withHostCAs adds the host's local CAs to a node image (file + NODE_EXTRA_CA_CERTS).
func withHostCAs(img Image) Image {
	pem := hostExtraCAs()
	if pem == "" {
		return img
	}
	img.Files = append(img.Files, File{Path: nodeExtraCAPath, Mode: 0o644, Content: pem})
	img.Config.Env = append(img.Config.Env, "NODE_EXTRA_CA_CERTS="+nodeExtraCAPath)
	img.BuiltFrom += "; trusts this machine's local CAs (" + hostCADir + ", via NODE_EXTRA_CA_CERTS)"
	return img
}
