package config

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

type noResources struct{}

func (noResources) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return args.Name, args.Inputs, nil
}

func (noResources) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// loadFromEngine runs Load on what the program receives from the engine: values and secret
// keys through the environment the SDK reads (PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS).
func loadFromEngine(t *testing.T, values map[string]string, secret []string) (secretSeen []string, err error) {
	t.Helper()
	cfg, _ := json.Marshal(values)
	keys, _ := json.Marshal(secret)
	t.Setenv(pulumi.EnvConfig, string(cfg))
	t.Setenv(pulumi.EnvConfigSecretKeys, string(keys))
	runErr := pulumi.RunErr(func(ctx *pulumi.Context) error {
		v, s := FromContext(ctx)
		secretSeen = s
		_, err = Load(v, s...)
		return nil
	}, pulumi.WithMocks(Namespace, "dev", noResources{}))
	require.NoError(t, runErr)
	return secretSeen, err
}

// A key set with --secret is refused at that key: nothing here takes a credential, and the
// program would write the decrypted value in plaintext. With --path, Pulumi marks the whole
// top-level key secret (an object value is secure when any value in it is: Map.SecureKeys of
// sdk/go/common/resource/config), so the top-level key is the one named. The value is never
// echoed, nor validated (its errors would print it).
func TestSecretConfigKeysAreRefused(t *testing.T) {
	values := devConfig()
	values["cloud-codex:agents"] = agentJSON(`"env": {"GREETING": "hunter2-not-a-label", "1X": "hunter2"}`)
	values["kubernetes:token"] = "a secret of another namespace is its owner's business"
	seen, err := loadFromEngine(t, values, []string{"cloud-codex:agents", "cloud-codex:namespace", "kubernetes:token"})
	require.Equal(t, []string{"cloud-codex:agents", "cloud-codex:namespace", "kubernetes:token"}, seen, "FromContext reads ctx.IsConfigSecret")
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	requireRefused(t, lines, map[string]string{
		"cloud-codex:agents":    "is set as a secret",
		"cloud-codex:namespace": "is set as a secret",
	})
	for _, l := range lines {
		require.Contains(t, l, "secretEnv")
		require.Contains(t, l, "Kubernetes Secret")
		require.Contains(t, l, "a secret value anywhere inside it marks the whole key")
	}
	require.NotContains(t, err.Error(), "hunter2")

	// Without secrets the same engine path loads.
	values["cloud-codex:agents"] = agentJSON("")
	seen, err = loadFromEngine(t, values, nil)
	require.Empty(t, seen)
	require.NoError(t, err)
}
