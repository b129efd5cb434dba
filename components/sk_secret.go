package components

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/keyregistrar"
)

// skKeyLen is the number of random characters after "sk-" in every key this project
// generates (the pool's master and salt keys, the agents' LiteLLM keys).
const skKeyLen = 48

// newSKSecret generates an "sk-" key (the prefix LiteLLM requires of its master key and of
// custom virtual keys) with pulumi-random and stores it in a Secret under key. The
// generator is alphanumeric (Special false) so the key needs no quoting anywhere; the
// value stays a Pulumi secret. The generator keeps its result until it is replaced, which
// is how a key is rotated. Both resources are named name (their URNs are in every stack's
// state); secretOpts apply to the Secret only.
func newSKSecret(ctx *pulumi.Context, name string, meta *metav1.ObjectMetaArgs, key string, parent pulumi.ResourceOption, secretOpts ...pulumi.ResourceOption) (*corev1.Secret, pulumi.StringOutput, error) {
	pw, err := random.NewRandomPassword(ctx, name, &random.RandomPasswordArgs{
		Length:  pulumi.Int(skKeyLen),
		Special: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, pulumi.StringOutput{}, fmt.Errorf("key value: %w", err)
	}
	value := pulumi.ToSecret(pw.Result.ApplyT(func(s string) string { return keyregistrar.KeyPrefix + s })).(pulumi.StringOutput)
	secret, err := corev1.NewSecret(ctx, name, &corev1.SecretArgs{
		Metadata:   meta,
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{key: value},
	}, append([]pulumi.ResourceOption{parent}, secretOpts...)...)
	if err != nil {
		return nil, pulumi.StringOutput{}, fmt.Errorf("key Secret: %w", err)
	}
	return secret, value, nil
}
