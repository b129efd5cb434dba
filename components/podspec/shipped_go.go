package podspec

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/internal/gosource"
)

// GoBuildScratchSize bounds the /tmp emptyDir of a pod whose only writer is a go build
// init container (build cache of a standard-library-only program: tens of MB).
const GoBuildScratchSize = "512Mi"

// ShippedGo is a program this project ships as Go source (internal/gosource) in a
// ConfigMap: an init container compiles it into an emptyDir, and the pod's other
// containers run the binary from a stock image. The auth rotator and the key registrar
// are built this way, so no project image has to be published.
type ShippedGo struct {
	// Container names the build init container.
	Container string
	// Image is the Go toolchain image.
	Image string
	// Package is the import path to build, relative to the shipped module.
	Package string
	// BuildFlags go between `go build` and `-o` (e.g. -trimpath).
	BuildFlags []string
	// Files are the shipped tree, mounted item by item from SourceConfigMap.
	Files           []gosource.File
	SourceConfigMap pulumi.StringInput
	// SourceVolume is mounted read-only at SourceDir, the build's working directory.
	SourceVolume, SourceDir string
	// BinVolume, an emptyDir of BinSize, is mounted at BinDir; Binary is the file in it.
	BinVolume, BinDir, BinSize, Binary string
	// UID runs the build (the pod's uid, so its runners can read the binary).
	UID int
	// Scratch is the build's /tmp mount (GOCACHE, GOPATH, HOME): the caller's, because the
	// deployed pods spell it two ways (ScratchMount and Mount(ScratchVolume, ...)).
	Scratch corev1.VolumeMountArgs
}

// BinaryPath is where the compiled program is, in every container that mounts BinMount.
func (g ShippedGo) BinaryPath() string { return g.BinDir + "/" + g.Binary }

// BinMount mounts the compiled program read-only, for the containers that run it.
func (g ShippedGo) BinMount() corev1.VolumeMountArgs { return Mount(g.BinVolume, g.BinDir, true) }

// BuildContainer is the init container that compiles the program.
func (g ShippedGo) BuildContainer() *corev1.ContainerArgs {
	command := append([]string{"go", "build"}, g.BuildFlags...)
	command = append(command, "-o", g.BinaryPath(), g.Package)
	return &corev1.ContainerArgs{
		Name:            pulumi.String(g.Container),
		Image:           pulumi.String(g.Image),
		WorkingDir:      pulumi.String(g.SourceDir),
		Command:         pulumi.ToStringArray(command),
		Env:             shippedGoBuildEnv(),
		Resources:       shippedGoBuildResources(),
		SecurityContext: RestrictedContainer(g.UID),
		VolumeMounts: corev1.VolumeMountArray{
			Mount(g.SourceVolume, g.SourceDir, true),
			Mount(g.BinVolume, g.BinDir, false),
			g.Scratch,
		},
	}
}

// Volumes are the source ConfigMap and the binary's emptyDir.
func (g ShippedGo) Volumes() (source, bin *corev1.VolumeArgs) {
	items := corev1.KeyToPathArray{}
	for _, f := range g.Files {
		items = append(items, &corev1.KeyToPathArgs{Key: pulumi.String(f.Key), Path: pulumi.String(f.Path)})
	}
	source = &corev1.VolumeArgs{
		Name:      pulumi.String(g.SourceVolume),
		ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: g.SourceConfigMap, Items: items},
	}
	bin = &corev1.VolumeArgs{
		Name:     pulumi.String(g.BinVolume),
		EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String(g.BinSize)},
	}
	return source, bin
}

// shippedGoBuildEnv: standard library only, so no module downloads (GOPROXY=off) and no
// toolchain switch; caches in /tmp for a non-root uid (the pod's scratch emptyDir: the
// root filesystem is read-only).
func shippedGoBuildEnv() corev1.EnvVarArray {
	return corev1.EnvVarArray{
		Env("CGO_ENABLED", "0"),
		Env("GOCACHE", "/tmp/gocache"),
		Env("GOPATH", "/tmp/gopath"),
		Env("GOFLAGS", "-mod=mod"),
		Env("GOTOOLCHAIN", "local"),
		Env("GOPROXY", "off"),
		Env("GOWORK", "off"),
		Env("HOME", "/tmp"),
	}
}

// shippedGoBuildResources: compiling a standard-library-only program needs a core and some
// memory for a minute.
func shippedGoBuildResources() *corev1.ResourceRequirementsArgs {
	return &corev1.ResourceRequirementsArgs{
		Requests: pulumi.StringMap{"cpu": pulumi.String("250m"), "memory": pulumi.String("256Mi")},
		Limits:   pulumi.StringMap{"cpu": pulumi.String("2"), "memory": pulumi.String("1Gi")},
	}
}
