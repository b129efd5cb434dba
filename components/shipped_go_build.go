package components

import corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"

// goBuildScratchSize bounds the /tmp emptyDir of a go build init container (build cache of
// a standard-library-only program: tens of MB).
const goBuildScratchSize = "512Mi"

// shippedGoBuildEnv is the environment of every init container that compiles a program this
// project ships as source (internal/gosource): standard library only, so no module
// downloads (GOPROXY=off) and no toolchain switch; caches in /tmp for a non-root uid (the
// pod's scratch emptyDir: the root filesystem is read-only).
func shippedGoBuildEnv() corev1.EnvVarArray {
	return corev1.EnvVarArray{
		literalEnv("CGO_ENABLED", "0"),
		literalEnv("GOCACHE", "/tmp/gocache"),
		literalEnv("GOPATH", "/tmp/gopath"),
		literalEnv("GOFLAGS", "-mod=mod"),
		literalEnv("GOTOOLCHAIN", "local"),
		literalEnv("GOPROXY", "off"),
		literalEnv("GOWORK", "off"),
		literalEnv("HOME", "/tmp"),
	}
}
