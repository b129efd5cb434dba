package podspec

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

// RestrictedPodAs is RestrictedPod for a pod whose containers all run as one uid, which
// is also their group and fsGroup: the pods that share files with mode 0600 on one volume
// (the pool's token files, Postgres' data directory) or need no other identity.
func RestrictedPodAs(uid int) *corev1.PodSecurityContextArgs {
	sc := RestrictedPod(uid)
	sc.RunAsUser = pulumi.Int(uid)
	sc.RunAsGroup = pulumi.Int(uid)
	return sc
}
