package podspec

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Env is an env var with a literal value.
func Env(name, value string) corev1.EnvVarArgs {
	return corev1.EnvVarArgs{Name: pulumi.String(name), Value: pulumi.String(value)}
}

// SecretEnv is an env var read from a key of a Secret the pod cannot start without. It
// leaves Optional unset (the API's default, required) rather than false: SecretRef.EnvFrom
// in package components sets it, and the objects already deployed differ exactly there.
func SecretEnv(name, secret, key string) corev1.EnvVarArgs {
	return corev1.EnvVarArgs{
		Name: pulumi.String(name),
		ValueFrom: &corev1.EnvVarSourceArgs{SecretKeyRef: &corev1.SecretKeySelectorArgs{
			Name: pulumi.String(secret),
			Key:  pulumi.String(key),
		}},
	}
}
