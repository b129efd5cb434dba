package components

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RestrictedContainer is the container security context every container gets: it meets
// the "restricted" Pod Security Standard (non-root, no privilege escalation, no
// capabilities, RuntimeDefault seccomp; uid 0 is refused by the kubelet at start), and its
// root filesystem is read-only: what a container writes goes to a named volume (the state
// or auth PVC, a scratch emptyDir at /tmp), never into the image's layer.
func RestrictedContainer(uid int) *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		RunAsNonRoot:             pulumi.Bool(true),
		RunAsUser:                pulumi.Int(uid),
		AllowPrivilegeEscalation: pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
		SeccompProfile:           &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// WritableRootContainer is RestrictedContainer for a process that writes inside its own
// image and cannot be given a volume there instead (LiteLLM: see docs/litellm-image.md).
func WritableRootContainer(uid int) *corev1.SecurityContextArgs {
	sc := RestrictedContainer(uid)
	sc.ReadOnlyRootFilesystem = pulumi.Bool(false)
	return sc
}

// scratchVolume is the name of the emptyDir each pod mounts at /tmp for the containers
// that need scratch space under a read-only root (npm, node's os.tmpdir(), go build, git,
// codex's and the platform CLI's temporary files).
const scratchVolume = "tmp"

// scratchMount mounts the scratch emptyDir at /tmp.
func scratchMount() corev1.VolumeMountArgs {
	return corev1.VolumeMountArgs{Name: pulumi.String(scratchVolume), MountPath: pulumi.String("/tmp")}
}

// scratchVolumeArgs is the scratch emptyDir, bounded so a runaway writer is evicted
// instead of filling the node's disk.
func scratchVolumeArgs(size string) corev1.VolumeArgs {
	return corev1.VolumeArgs{Name: pulumi.String(scratchVolume), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String(size)}}
}

// RestrictedPod is the pod-level security context. fsGroup makes mounted volumes group
// writable, so every container of the pod (each with its own uid) can write the PVC.
func RestrictedPod(fsGroup int) *corev1.PodSecurityContextArgs {
	return &corev1.PodSecurityContextArgs{
		RunAsNonRoot:        pulumi.Bool(true),
		FsGroup:             pulumi.Int(fsGroup),
		FsGroupChangePolicy: pulumi.String("OnRootMismatch"),
		SeccompProfile:      &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}
