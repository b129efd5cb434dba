package podspec

import (
	"testing"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

func plainStrings(t *testing.T, in pulumi.StringArrayInput) []string {
	t.Helper()
	arr, ok := in.(pulumi.StringArray)
	require.True(t, ok, "%T", in)
	out := make([]string, len(arr))
	for i, s := range arr {
		out[i] = string(s.(pulumi.String))
	}
	return out
}

// The build writes the binary where the runners' mount finds it, with the caller's flags
// before -o (the registrar's -trimpath), and reads the source it is given.
func TestShippedGoBuildsIntoTheMountTheRunnersUse(t *testing.T) {
	g := ShippedGo{
		Container: "build-x", Image: "golang", Package: "./cmd/x", BuildFlags: []string{"-trimpath"},
		SourceVolume: "x-src", SourceDir: "/src", BinVolume: "x-bin", BinDir: "/x-bin", BinSize: "64Mi", Binary: "x",
		UID: 65532, Scratch: ScratchMount(),
	}
	c := g.BuildContainer()
	require.Equal(t, []string{"go", "build", "-trimpath", "-o", "/x-bin/x", "./cmd/x"}, plainStrings(t, c.Command))
	mounts := c.VolumeMounts.(corev1.VolumeMountArray)
	require.Equal(t, Mount("x-src", "/src", true), mounts[0])
	require.Equal(t, Mount("x-bin", "/x-bin", false), mounts[1])
	require.Equal(t, ScratchMount(), mounts[2])
	require.Equal(t, Mount("x-bin", "/x-bin", true), g.BinMount())

	g.BuildFlags = nil
	require.Equal(t, []string{"go", "build", "-o", "/x-bin/x", "./cmd/x"}, plainStrings(t, g.BuildContainer().Command))
}
