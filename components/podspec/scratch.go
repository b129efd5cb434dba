package podspec

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ScratchVolume is the name of the emptyDir each pod mounts at /tmp for the containers
// that need scratch space under a read-only root (npm, node's os.tmpdir(), go build, git,
// codex's and the platform CLI's temporary files).
const ScratchVolume = "tmp"

// ScratchDir is where the scratch volume is mounted.
const ScratchDir = "/tmp"

// ScratchMount mounts the scratch emptyDir at /tmp without a readOnly field (the agent's
// and the key Job's mounts were written so; Mount(ScratchVolume, ScratchDir, false) is the
// pool's spelling, and changing either would change deployed objects).
func ScratchMount() corev1.VolumeMountArgs {
	return corev1.VolumeMountArgs{Name: pulumi.String(ScratchVolume), MountPath: pulumi.String(ScratchDir)}
}

// Scratch is the scratch emptyDir, bounded so a runaway writer is evicted instead of
// filling the node's disk.
func Scratch(size string) corev1.VolumeArgs {
	return corev1.VolumeArgs{Name: pulumi.String(ScratchVolume), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String(size)}}
}
