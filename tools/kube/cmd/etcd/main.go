// Command etcd is etcd's server, built from the same module graph as kube-apiserver so the
// two agree on the client protocol.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
