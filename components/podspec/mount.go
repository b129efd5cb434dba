package podspec

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Mount mounts a volume at path. readOnly is always written out, false included, so a
// mount says what it means instead of leaning on the API's default.
func Mount(volume, path string, readOnly bool) corev1.VolumeMountArgs {
	return corev1.VolumeMountArgs{Name: pulumi.String(volume), MountPath: pulumi.String(path), ReadOnly: pulumi.Bool(readOnly)}
}
