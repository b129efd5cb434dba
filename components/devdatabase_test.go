package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"cloud-codex/contract"
)

func runDevDatabase(t *testing.T, args DevDatabaseArgs) (*mockMonitor, *DevDatabase, error) {
	t.Helper()
	var db *DevDatabase
	m, err := runUnderMocks(func(ctx *pulumi.Context) error {
		var err error
		db, err = NewDevDatabase(ctx, "app-db", args)
		return err
	})
	return m, db, err
}

func devDatabaseTestArgs() DevDatabaseArgs {
	return DevDatabaseArgs{Namespace: "apps", Instance: "app", Clients: map[string]string{"app": "litellm"}}
}

// A DevDatabase on its own: named after its instance, admitting only its clients, its URL
// Secret the one a pool takes as database.existingSecret, and no aliases (it never lived
// anywhere else).
func TestDevDatabaseStandalone(t *testing.T) {
	m, db, err := runDevDatabase(t, devDatabaseTestArgs())
	require.NoError(t, err)
	require.Equal(t, SecretRef{Name: "app-database-url", Key: contract.DatabaseURLEnv}, db.URLSecret)
	require.Equal(t, "app-postgres", db.ServiceName)
	require.Len(t, db.WaitFor, 2, "the URL Secret and the StatefulSet")

	var children int
	for _, res := range m.resources() {
		if res.Type == contract.DevDatabaseType {
			continue
		}
		children++
		require.Empty(t, res.RenamedFrom, "%s %s", res.Type, res.Name)
		require.Contains(t, res.Parent, contract.DevDatabaseType+"::app-db", "%s %s is the component's child", res.Type, res.Name)
	}
	require.Equal(t, 6, children, "password, its Secret, the URL Secret, Service, StatefulSet, NetworkPolicy")

	url := m.k8s(t, authPoolSecretType, "app-database-url")
	require.Equal(t, "postgresql://litellm:"+mockRandomPassword+"@app-postgres.apps.svc.cluster.local:5432/litellm",
		at(t, url.Plain, "stringData", contract.DatabaseURLEnv))
	require.True(t, url.Inputs["stringData"].ContainsSecrets())
	require.Equal(t, "database", at(t, url.Plain, "metadata", "labels", contract.LabelComponent), "labelled as the database's")

	np := m.k8s(t, authPoolNetpolType, "app-postgres")
	require.Equal(t, map[string]any{"app": "litellm"}, at(t, np.Plain, "spec", "ingress", 0, "from", 0, "podSelector", "matchLabels"))
	sts := m.k8s(t, authPoolStsType, "app-postgres")
	require.Equal(t, DefaultInClusterDatabaseSize, at(t, sts.Plain, "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"))
}

// Bad args are refused before anything is registered, every problem at its field.
func TestDevDatabaseRefusesBadArgs(t *testing.T) {
	args := DevDatabaseArgs{Namespace: "Apps", AuthPoolInClusterDatabase: AuthPoolInClusterDatabase{StorageSize: "2 GiB", StorageClass: "Fast_SSD"}}
	m, _, err := runDevDatabase(t, args)
	require.Error(t, err)
	for _, field := range []string{"namespace", "instance", "clients", "storageSize", "storageClass"} {
		require.Contains(t, err.Error(), field)
	}
	require.Empty(t, m.resources())
}

// The pool declares no database of its own: args that still ask for one in-cluster are
// refused with the way to declare it, and NewPoolDevDatabase checks the pool's args before
// it registers anything (a database for a pool that then fails would be half a stack).
func TestPoolDevDatabaseIsDeclaredBesideThePool(t *testing.T) {
	r, err := runUnderMocks(func(ctx *pulumi.Context) error {
		_, err := NewLiteLLMAuthPool(ctx, "pool", authPoolDevArgs())
		return err
	})
	require.ErrorContains(t, err, "database.inCluster")
	require.ErrorContains(t, err, "NewPoolDevDatabase")
	require.Empty(t, r.resources())

	bad := authPoolDevArgs()
	bad.RotationInterval = "1m"
	m, err := runUnderMocks(func(ctx *pulumi.Context) error {
		_, err := NewPoolDevDatabase(ctx, "pool", bad)
		return err
	})
	require.ErrorContains(t, err, "rotationInterval")
	require.Empty(t, m.resources(), "nothing registered for a pool whose args fail")

	existing := authPoolDevArgs()
	existing.Database = AuthPoolDatabase{ExistingSecret: &SecretRef{Name: "db"}}
	_, err = runUnderMocks(func(ctx *pulumi.Context) error {
		_, err := NewPoolDevDatabase(ctx, "pool", existing)
		return err
	})
	require.ErrorContains(t, err, "database.inCluster is not set")
}
