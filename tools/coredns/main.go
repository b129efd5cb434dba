// Command coredns is CoreDNS v1.15.0 built the way upstream's root package (coredns.go) builds
// it, with only the plugins the embedded cluster's Corefile uses registered (the full set
// drags in every cloud SDK and triples the cold build). It serves cluster DNS for the
// embedded cluster's node (scripts/cluster.sh, the Corefile from cmd/node-config).
package main

import (
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"

	"github.com/coredns/coredns/coremain"
)

func main() {
	coremain.Run()
}
