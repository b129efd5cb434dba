//go:build tools

// Package tools pins the container runtime the embedded cluster's node runs: containerd 2.x,
// its runc shim and the ctr client (used to import the locally built images).
// runc itself and the CNI plugins come from Debian's packages (scripts/node-deps.sh).
package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
