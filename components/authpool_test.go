package components

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"
	k8score "k8s.io/api/core/v1"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
	"cloud-codex/litellmconfig"
	"cloud-codex/rotator"
)

// Type tokens and fixtures of the auth pool tests; the mock monitor is in mocks_test.go.

const (
	authPoolTestNS      = "agents"
	authPoolRandomType  = "random:index/randomPassword:RandomPassword"
	authPoolSecretType  = "kubernetes:core/v1:Secret"
	authPoolCMType      = "kubernetes:core/v1:ConfigMap"
	authPoolPVCType     = "kubernetes:core/v1:PersistentVolumeClaim"
	authPoolServiceType = "kubernetes:core/v1:Service"
	authPoolDeployType  = "kubernetes:apps/v1:Deployment"
	authPoolStsType     = "kubernetes:apps/v1:StatefulSet"
	authPoolNetpolType  = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

type authPoolRun struct {
	mocks *mockMonitor
	pool  *LiteLLMAuthPool
	urn   string
	out   map[string]internals.UnsafeAwaitOutputResult
}

func runAuthPool(t *testing.T, args LiteLLMAuthPoolArgs) (*authPoolRun, error) {
	t.Helper()
	r := &authPoolRun{mocks: &mockMonitor{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		// As main.go declares a pool: its dev database beside it, with Database.InCluster.
		if args.Database.InCluster != nil {
			db, err := NewPoolDevDatabase(ctx, "pool", args)
			if err != nil {
				return err
			}
			args = args.WithDevDatabase(db)
		}
		pool, err := NewLiteLLMAuthPool(ctx, "pool", args)
		if err != nil {
			return err
		}
		r.pool = pool
		if r.out, err = awaitOutputs(ctx, map[string]pulumi.Output{
			"urn": pool.URN(), "baseUrl": pool.BaseURL, "serviceName": pool.ServiceName,
			"masterKeySecretName": pool.MasterKeySecretName, "deviceAuthCommands": pool.DeviceAuthCommands,
		}); err != nil {
			return err
		}
		r.urn = string(r.out["urn"].Value.(pulumi.URN))
		return nil
	}, pulumi.WithMocks("cloud-codex", "dev", r.mocks))
	return r, err
}

func mustRunAuthPool(t *testing.T, args LiteLLMAuthPoolArgs) *authPoolRun {
	t.Helper()
	r, err := runAuthPool(t, args)
	require.NoError(t, err)
	return r
}

// k8s returns the Kubernetes object of a type with metadata.name name.
func (r *authPoolRun) k8s(t *testing.T, typ, name string) recordedResource {
	t.Helper()
	for _, res := range r.mocks.res {
		if res.Type != typ {
			continue
		}
		if at(t, res.Plain, "metadata", "name") == name {
			return res
		}
	}
	require.Failf(t, "missing object", "%s %q not registered", typ, name)
	return recordedResource{}
}

func (r *authPoolRun) byName(t *testing.T, typ, pulumiName string) recordedResource {
	t.Helper()
	for _, res := range r.mocks.res {
		if res.Type == typ && res.Name == pulumiName {
			return res
		}
	}
	require.Failf(t, "missing resource", "%s %q not registered", typ, pulumiName)
	return recordedResource{}
}

func (r *authPoolRun) count(typ string) int {
	n := 0
	for _, res := range r.mocks.res {
		if res.Type == typ {
			n++
		}
	}
	return n
}

func authPoolDevArgs() LiteLLMAuthPoolArgs {
	return LiteLLMAuthPoolArgs{
		Namespace: authPoolTestNS,
		Accounts:  AuthPoolAccounts{Reserved: []int{3}},
		Database:  AuthPoolDatabase{InCluster: &AuthPoolInClusterDatabase{}},
	}
}

func authPoolContainers(t *testing.T, dep recordedResource, kind string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, c := range at(t, dep.Plain, "spec", "template", "spec", kind).([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

func authPoolContainer(t *testing.T, dep recordedResource, name string) map[string]any {
	t.Helper()
	for _, kind := range []string{"initContainers", "containers"} {
		for _, c := range authPoolContainers(t, dep, kind) {
			if c["name"] == name {
				return c
			}
		}
	}
	require.Failf(t, "missing container", "%q", name)
	return nil
}

func authPoolStrings(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}

// ---- tests ---------------------------------------------------------------------------

func TestAuthPoolRegistersEveryObjectUnderTheComponent(t *testing.T) {
	r := mustRunAuthPool(t, authPoolDevArgs())

	var comp recordedResource
	for _, res := range r.mocks.res {
		if res.Type == contract.LiteLLMAuthPoolType {
			comp = res
		}
	}
	require.Equal(t, "pool", comp.Name)
	require.False(t, comp.Custom)

	want := map[string][]string{
		authPoolSecretType:  {"litellm-master-key", "litellm-salt-key", "litellm-database-url", "litellm-postgres"},
		authPoolCMType:      {"litellm-config", "litellm-rotator-src", "litellm-scripts"},
		authPoolPVCType:     {"litellm-chatgpt-auth"},
		authPoolDeployType:  {"litellm"},
		authPoolServiceType: {"litellm", "litellm-postgres"},
		authPoolNetpolType:  {"litellm", "litellm-postgres"},
		authPoolStsType:     {"litellm-postgres"},
	}
	for typ, names := range want {
		require.Equal(t, len(names), r.count(typ), typ)
		for _, n := range names {
			obj := r.k8s(t, typ, n)
			require.Equal(t, authPoolTestNS, at(t, obj.Plain, "metadata", "namespace"), n)
			labels := at(t, obj.Plain, "metadata", "labels").(map[string]any)
			require.Equal(t, PartOf, labels["app.kubernetes.io/part-of"], n)
			require.Equal(t, ManagedBy, labels["app.kubernetes.io/managed-by"], n)
			require.Equal(t, "litellm", labels["app.kubernetes.io/instance"], n)
			annotations, _ := at(t, obj.Plain, "metadata").(map[string]any)["annotations"].(map[string]any)
			switch {
			case typ == authPoolServiceType && n == "litellm":
				require.Equal(t, map[string]any{SkipAwaitAnnotation: "true"}, annotations, "the LiteLLM Service is never awaited")
			case typ == authPoolDeployType:
				require.Equal(t, map[string]any{authPoolTimeoutAnnotation: "1800"}, annotations, "time for the first device-auth")
			default:
				require.Nil(t, annotations, "%s %s: no skipAwait unless asked", typ, n)
			}
		}
	}
	require.Equal(t, 3, r.count(authPoolRandomType))

	// Every object is the pool's child, or a child of the DevDatabase beside it (the
	// production pool declares no dev-only object). The database carries an alias to its
	// URN from when it was the pool's child; its objects, aliases to theirs from when they
	// were the pool's own.
	dbURN := strings.Replace(r.urn, "::"+contract.LiteLLMAuthPoolType+"::pool", "::"+contract.DevDatabaseType+"::pool-postgres", 1)
	for _, res := range r.mocks.res {
		switch {
		case res.Type == contract.LiteLLMAuthPoolType:
		case res.Type == contract.DevDatabaseType:
			require.Equal(t, "pool-postgres", res.Name)
			require.NotEqual(t, r.urn, res.Parent, "the DevDatabase is not the pool's child")
			require.Equal(t, []renamedFrom{{Parent: r.urn}}, res.RenamedFrom, "aliased to where it was: the pool's child")
		case res.Parent == dbURN:
			require.True(t, strings.HasPrefix(res.Name, "pool-postgres-"), "%s %s: a DevDatabase child is named after it", res.Type, res.Name)
			require.Len(t, res.RenamedFrom, 1, "%s %s: moved from the pool, aliased there", res.Type, res.Name)
			require.Equal(t, r.urn, res.RenamedFrom[0].Parent, "%s %s", res.Type, res.Name)
		default:
			require.Equalf(t, r.urn, res.Parent, "%s %s must be a child of the component", res.Type, res.Name)
			require.Empty(t, res.RenamedFrom, "%s %s: the pool's own children never moved", res.Type, res.Name)
		}
	}
	require.Equal(t, 1+1+3+4+3+1+1+2+2+1, len(r.mocks.res))
}

func TestAuthPoolSkipAwaitAnnotatesEveryObject(t *testing.T) {
	args := authPoolDevArgs()
	args.SkipAwait = true
	r := mustRunAuthPool(t, args)
	n := 0
	for _, res := range r.mocks.res {
		if !strings.HasPrefix(res.Type, "kubernetes:") {
			continue
		}
		n++
		require.Equal(t, "true", at(t, res.Plain, "metadata", "annotations", SkipAwaitAnnotation), res.Type+" "+res.Name)
	}
	require.Equal(t, 14, n)
}

func TestAuthPoolDeployment(t *testing.T) {
	r := mustRunAuthPool(t, authPoolDevArgs())
	dep := r.k8s(t, authPoolDeployType, "litellm")
	spec := at(t, dep.Plain, "spec")

	require.EqualValues(t, 1, at(t, spec, "replicas"))
	require.Equal(t, "Recreate", at(t, spec, "strategy", "type"))
	require.Equal(t, map[string]any{"app.kubernetes.io/name": "litellm", "app.kubernetes.io/instance": "litellm"},
		at(t, spec, "selector", "matchLabels"))
	require.NotEmpty(t, at(t, spec, "template", "metadata", "annotations", authPoolTemplateChecksum))

	pod := at(t, spec, "template", "spec")
	require.EqualValues(t, authPoolUID, at(t, pod, "securityContext", "fsGroup"))
	require.Equal(t, true, at(t, pod, "securityContext", "runAsNonRoot"))
	require.Equal(t, false, at(t, pod, "automountServiceAccountToken"))
	require.Equal(t, false, at(t, pod, "enableServiceLinks"))
	// The kubelet must let a stopping rotator finish a token exchange it has sent (up to
	// rotator.StopWait, then storing the pair) before it kills the pod; Kubernetes' default
	// 30 s would lose that account's login.
	grace, err := strconv.Atoi(fmt.Sprint(at(t, pod, "terminationGracePeriodSeconds")))
	require.NoError(t, err)
	require.Greater(t, time.Duration(grace)*time.Second, rotator.StopWait+5*time.Second)

	var inits, mains []string
	for _, c := range authPoolContainers(t, dep, "initContainers") {
		inits = append(inits, c["name"].(string))
	}
	for _, c := range authPoolContainers(t, dep, "containers") {
		mains = append(mains, c["name"].(string))
	}
	require.Equal(t, []string{"build-rotator", "install-codex", "codex-cli", "seed"}, inits)
	require.Equal(t, []string{"litellm", "rotator"}, mains)

	// Only codex-cli is a native sidecar; the others must run to completion, in order.
	for _, c := range authPoolContainers(t, dep, "initContainers") {
		if c["name"] == "codex-cli" {
			require.Equal(t, "Always", c["restartPolicy"])
		} else {
			require.NotContains(t, c, "restartPolicy", c["name"])
		}
	}

	// Every container: resources with limits, restricted security context, one uid.
	for _, kind := range []string{"initContainers", "containers"} {
		for _, c := range authPoolContainers(t, dep, kind) {
			name := c["name"].(string)
			require.NotEmpty(t, at(t, c, "resources", "limits", "memory"), name)
			require.NotEmpty(t, at(t, c, "resources", "limits", "cpu"), name)
			require.NotEmpty(t, at(t, c, "resources", "requests", "memory"), name)
			sc := at(t, c, "securityContext")
			require.Equal(t, true, at(t, sc, "runAsNonRoot"), name)
			require.EqualValues(t, authPoolUID, at(t, sc, "runAsUser"), name)
			require.Equal(t, false, at(t, sc, "allowPrivilegeEscalation"), name)
			require.Equal(t, []any{"ALL"}, at(t, sc, "capabilities", "drop"), name)
			require.Equal(t, "RuntimeDefault", at(t, sc, "seccompProfile", "type"), name)
		}
	}

	// build-rotator: stdlib-only build from the source ConfigMap into the emptyDir.
	build := authPoolContainer(t, dep, "build-rotator")
	require.Equal(t, GoBuildImage, build["image"])
	require.Equal(t, "/src", build["workingDir"])
	require.Equal(t, []string{"go", "build", "-o", "/rotator-bin/codex-auth-rotator", "./rotator/cmd/codex-auth-rotator"}, authPoolStrings(t, build["command"]))
	env := authPoolEnvMap(t, build)
	for k, v := range map[string]string{"CGO_ENABLED": "0", "GOCACHE": "/tmp/gocache", "GOPATH": "/tmp/gopath", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GOPROXY": "off", "HOME": "/tmp"} {
		require.Equal(t, v, env[k], k)
	}

	install := authPoolContainer(t, dep, "install-codex")
	require.Equal(t, DefaultAgentImage, install["image"])
	require.Equal(t, DefaultCodexVersion, authPoolEnvMap(t, install)["CODEX_VERSION"])
	require.Equal(t, "/chatgpt-auth/.tools", authPoolEnvMap(t, install)["TOOLS_DIR"])

	station := authPoolContainer(t, dep, "codex-cli")
	require.Equal(t, DefaultAgentImage, station["image"])
	senv := authPoolEnvMap(t, station)
	require.Equal(t, "1,2", senv["AUTH_POOL_ACCOUNTS"])
	require.Equal(t, "3", senv["AUTH_POOL_RESERVED"])
	require.True(t, strings.HasPrefix(senv["PATH"], authPoolScriptsDir+":"), senv["PATH"])
	require.Contains(t, senv["PATH"], "/chatgpt-auth/.tools/codex-"+DefaultCodexVersion+"/node_modules/.bin")
	require.Equal(t, "/chatgpt-auth/.tools/codex-"+DefaultCodexVersion+"/node_modules/.bin/codex", senv["CODEX_BIN"])

	seed := authPoolContainer(t, dep, "seed")
	require.Equal(t, RotatorRunImage, seed["image"])
	require.Equal(t, []string{"/rotator-bin/codex-auth-rotator", "seed", "--dir", "/chatgpt-auth", "--accounts", "1,2", "--reserved", "3",
		"--namespace", authPoolTestNS, "--deployment", "litellm"}, authPoolStrings(t, seed["command"]))

	rot := authPoolContainer(t, dep, "rotator")
	require.Equal(t, RotatorRunImage, rot["image"])
	require.Equal(t, []string{"/rotator-bin/codex-auth-rotator", "run", "--dir", "/chatgpt-auth", "--accounts", "1,2", "--reserved", "3",
		"--namespace", authPoolTestNS, "--deployment", "litellm", "--interval", "30m", "--listen", "127.0.0.1:4099"}, authPoolStrings(t, rot["command"]))

	// litellm
	ll := authPoolContainer(t, dep, "litellm")
	require.Equal(t, DefaultLiteLLMImage, ll["image"])
	require.Equal(t, []string{"--config", "/etc/litellm/config.yaml", "--port", "4000", "--num_workers", "1"}, authPoolStrings(t, ll["args"]))
	lenv := authPoolEnvMap(t, ll)
	require.Equal(t, "/chatgpt-auth", lenv["CHATGPT_TOKEN_DIR"])
	require.Equal(t, "http://127.0.0.1:4099"+rotator.EventsPath, lenv["GENERIC_LOGGER_ENDPOINT"])
	refs := authPoolSecretRefs(t, ll)
	require.Equal(t, [2]string{"litellm-master-key", contract.MasterKeyEnv}, refs["LITELLM_MASTER_KEY"])
	require.Equal(t, [2]string{"litellm-salt-key", contract.SaltKeyEnv}, refs["LITELLM_SALT_KEY"])
	require.Equal(t, [2]string{"litellm-database-url", "DATABASE_URL"}, refs["DATABASE_URL"])
	require.Equal(t, "/health/liveliness", at(t, ll, "livenessProbe", "httpGet", "path"))
	require.Equal(t, "/health/readiness", at(t, ll, "readinessProbe", "httpGet", "path"))
	require.Equal(t, "/health/readiness", at(t, ll, "startupProbe", "httpGet", "path"))
	budget := at(t, ll, "startupProbe", "periodSeconds").(float64) * at(t, ll, "startupProbe", "failureThreshold").(float64)
	require.GreaterOrEqual(t, budget, 300.0, "startup budget must cover database migrations")
	require.Equal(t, "2Gi", at(t, ll, "resources", "limits", "memory"))
	require.EqualValues(t, AuthPoolPort, at(t, ll, "ports", 0, "containerPort"))

	// No probe anywhere uses /health (it needs a key and burns quota).
	for _, kind := range []string{"initContainers", "containers"} {
		for _, c := range authPoolContainers(t, dep, kind) {
			for _, p := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
				if probe, ok := c[p].(map[string]any); ok && probe["httpGet"] != nil {
					require.NotEqual(t, "/health", at(t, probe, "httpGet", "path"))
				}
			}
		}
	}

	// Volumes: the auth PVC everywhere it is needed, the source restored to its layout.
	vols := map[string]map[string]any{}
	for _, v := range at(t, pod, "volumes").([]any) {
		vols[v.(map[string]any)["name"].(string)] = v.(map[string]any)
	}
	require.Equal(t, "litellm-chatgpt-auth", at(t, vols[authPoolVolAuth], "persistentVolumeClaim", "claimName"))
	require.Contains(t, vols[authPoolVolBin], "emptyDir")
	items := map[string]string{}
	for _, it := range at(t, vols[authPoolVolSource], "configMap", "items").([]any) {
		items[it.(map[string]any)["key"].(string)] = it.(map[string]any)["path"].(string)
	}
	srcs := rotator.SourceFiles()
	require.Len(t, items, len(srcs))
	for _, f := range srcs {
		require.Equal(t, f.Path, items[f.Key])
	}
	require.Equal(t, "go.mod", items["go.mod"])
	for _, name := range []string{"seed", "rotator", "litellm", "codex-cli", "install-codex"} {
		require.Equal(t, "/chatgpt-auth", authPoolMounts(t, authPoolContainer(t, dep, name))[authPoolVolAuth], name)
	}
	require.NotContains(t, authPoolMounts(t, build), authPoolVolAuth, "build-rotator needs no tokens")

	// The Deployment waits for what the pod mounts and reads.
	for _, name := range []string{"pool-master-key", "pool-salt-key", "pool-postgres-url", "pool-postgres-statefulset",
		"pool-config", "pool-rotator-src", "pool-scripts", "pool-chatgpt-auth"} {
		found := false
		for _, d := range dep.Deps {
			found = found || strings.HasSuffix(d, "::"+name)
		}
		require.Truef(t, found, "Deployment must depend on %s; deps %v", name, dep.Deps)
	}
}

func authPoolEnvMap(t *testing.T, c map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range c["env"].([]any) {
		m := e.(map[string]any)
		if v, ok := m["value"]; ok {
			out[m["name"].(string)] = v.(string)
		}
	}
	return out
}

func authPoolSecretRefs(t *testing.T, c map[string]any) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for _, e := range c["env"].([]any) {
		m := e.(map[string]any)
		if vf, ok := m["valueFrom"]; ok {
			ref := at(t, vf, "secretKeyRef")
			out[m["name"].(string)] = [2]string{at(t, ref, "name").(string), at(t, ref, "key").(string)}
		}
	}
	return out
}

func authPoolMounts(t *testing.T, c map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range c["volumeMounts"].([]any) {
		out[m.(map[string]any)["name"].(string)] = m.(map[string]any)["mountPath"].(string)
	}
	return out
}

func TestAuthPoolAuthClaimIsRetainedAndNeverReplaced(t *testing.T) {
	args := authPoolDevArgs()
	args.AuthStorage.StorageClass = "fast"
	r := mustRunAuthPool(t, args)
	pvc := r.k8s(t, authPoolPVCType, "litellm-chatgpt-auth")
	require.Equal(t, []any{"ReadWriteOnce"}, at(t, pvc.Plain, "spec", "accessModes"))
	require.Equal(t, "1Gi", at(t, pvc.Plain, "spec", "resources", "requests", "storage"))
	require.Equal(t, "fast", at(t, pvc.Plain, "spec", "storageClassName"))
	require.True(t, pvc.Retain, "retainOnDelete")
	require.False(t, pvc.Protect)
	for _, f := range []string{"spec.storageClassName", "spec.accessModes"} {
		require.Contains(t, pvc.IgnoreChanges, f)
	}
}

func TestAuthPoolConfigYAMLRoundTrips(t *testing.T) {
	args := authPoolDevArgs()
	args.Models = []AuthPoolModel{
		{Alias: "codex-cli/gpt-5.4", Upstream: "chatgpt/gpt-5.4", Fallbacks: []string{"codex-cli/gpt-5.4-mini"}},
		{Alias: "codex-cli/gpt-5.4-mini", Upstream: "chatgpt/gpt-5.4-mini"},
		{Alias: "chat/gpt-5.4", Upstream: "chatgpt/responses/gpt-5.4", Path: AuthPoolChatPath},
	}
	for _, tc := range []struct {
		name string
		args LiteLLMAuthPoolArgs
	}{{"default", authPoolDevArgs()}, {"custom models", args}} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunAuthPool(t, tc.args)
			cm := r.k8s(t, authPoolCMType, "litellm-config")
			text := at(t, cm.Plain, "data", litellmconfig.FileName).(string)
			got, err := litellmconfig.Parse(text)
			require.NoError(t, err)
			require.Equal(t, authPoolLiteLLMConfig(tc.args.withDefaults()), got)

			up, ok := got.Upstream(r.pool.ResponsesAlias)
			require.True(t, ok)
			require.True(t, litellmconfig.IsResponsesPathModel(up), up)
			require.True(t, strings.HasPrefix(up, "chatgpt/") && !strings.HasPrefix(up, "chatgpt/responses/"), up)
			require.Equal(t, "codex-cli/gpt-5.4", r.pool.ResponsesAlias)
			require.Equal(t, "chatgpt/gpt-5.4", up)

			require.Equal(t, "os.environ/LITELLM_MASTER_KEY", got.GeneralSettings.MasterKey)
			require.Equal(t, "os.environ/DATABASE_URL", got.GeneralSettings.DatabaseURL)
			require.Contains(t, got.LiteLLMSettings.Callbacks, "generic_api")
			require.NotContains(t, text, "sk-", "no secret in the ConfigMap")
		})
	}
	r := mustRunAuthPool(t, args)
	got, err := litellmconfig.Parse(at(t, r.k8s(t, authPoolCMType, "litellm-config").Plain, "data", litellmconfig.FileName).(string))
	require.NoError(t, err)
	require.Equal(t, []map[string][]string{{"codex-cli/gpt-5.4": {"codex-cli/gpt-5.4-mini"}}}, got.RouterSettings.Fallbacks)
	up, _ := got.Upstream("chat/gpt-5.4")
	require.Equal(t, "chatgpt/responses/gpt-5.4", up)
}

func TestAuthPoolSecrets(t *testing.T) {
	r := mustRunAuthPool(t, authPoolDevArgs())

	salt := r.k8s(t, authPoolSecretType, "litellm-salt-key")
	require.Contains(t, salt.IgnoreChanges, "data")
	require.Contains(t, salt.IgnoreChanges, "stringData")
	require.True(t, salt.Retain, "the salt key outlives a destroy")

	master := r.k8s(t, authPoolSecretType, "litellm-master-key")
	require.Empty(t, master.IgnoreChanges)

	for _, tc := range []struct{ secret, key, want string }{
		{"litellm-master-key", contract.MasterKeyEnv, "sk-" + mockRandomPassword},
		{"litellm-salt-key", contract.SaltKeyEnv, "sk-" + mockRandomPassword},
		{"litellm-postgres", "POSTGRES_PASSWORD", mockRandomPassword},
		{"litellm-database-url", "DATABASE_URL", "postgresql://litellm:" + mockRandomPassword + "@litellm-postgres." + authPoolTestNS + ".svc.cluster.local:5432/litellm"},
	} {
		s := r.k8s(t, authPoolSecretType, tc.secret)
		require.Equal(t, tc.want, at(t, s.Plain, "stringData", tc.key), tc.secret)
		require.True(t, s.Inputs["stringData"].ContainsSecrets(), "%s must stay a Pulumi secret", tc.secret)
	}
	for _, name := range []string{"pool-master-key", "pool-salt-key", "pool-postgres-password"} {
		pw := r.byName(t, authPoolRandomType, name)
		require.Equal(t, false, pw.Plain["special"], name)
		require.GreaterOrEqual(t, pw.Plain["length"].(float64), 32.0, name)
	}
}

func TestAuthPoolServiceAndNetworkPolicy(t *testing.T) {
	args := authPoolDevArgs()
	r := mustRunAuthPool(t, args)

	svc := r.k8s(t, authPoolServiceType, "litellm")
	require.Equal(t, "ClusterIP", at(t, svc.Plain, "spec", "type"))
	require.EqualValues(t, 4000, at(t, svc.Plain, "spec", "ports", 0, "port"))
	require.Equal(t, "http", at(t, svc.Plain, "spec", "ports", 0, "targetPort"))
	require.Equal(t, map[string]any{"app.kubernetes.io/name": "litellm", "app.kubernetes.io/instance": "litellm"}, at(t, svc.Plain, "spec", "selector"))

	np := r.k8s(t, authPoolNetpolType, "litellm")
	require.Equal(t, at(t, svc.Plain, "spec", "selector"), at(t, np.Plain, "spec", "podSelector", "matchLabels"))
	require.Equal(t, []any{"Ingress"}, at(t, np.Plain, "spec", "policyTypes"))
	ingress := at(t, np.Plain, "spec", "ingress").([]any)
	require.Len(t, ingress, 1)
	require.Equal(t, map[string]any{"app.kubernetes.io/part-of": "cloud-codex", "app.kubernetes.io/component": "agent"},
		at(t, ingress[0], "from", 0, "podSelector", "matchLabels"))
	require.Len(t, at(t, ingress[0], "from").([]any), 1)
	require.NotContains(t, at(t, ingress[0], "from", 0), "namespaceSelector")
	require.EqualValues(t, 4000, at(t, ingress[0], "ports", 0, "port"))
	require.Len(t, at(t, ingress[0], "ports").([]any), 1)

	pg := r.k8s(t, authPoolNetpolType, "litellm-postgres")
	require.Equal(t, at(t, svc.Plain, "spec", "selector"), at(t, pg.Plain, "spec", "ingress", 0, "from", 0, "podSelector", "matchLabels"))

	// A custom agent selector is used as given.
	args.AgentSelector = map[string]string{"team": "codex"}
	r = mustRunAuthPool(t, args)
	np = r.k8s(t, authPoolNetpolType, "litellm")
	require.Equal(t, map[string]any{"team": "codex"}, at(t, np.Plain, "spec", "ingress", 0, "from", 0, "podSelector", "matchLabels"))
}

func TestAuthPoolInClusterDatabase(t *testing.T) {
	r := mustRunAuthPool(t, authPoolDevArgs())
	sts := r.k8s(t, authPoolStsType, "litellm-postgres")
	spec := at(t, sts.Plain, "spec")
	require.EqualValues(t, 1, at(t, spec, "replicas"))
	require.Equal(t, "litellm-postgres", at(t, spec, "serviceName"))
	require.Equal(t, "Retain", at(t, spec, "persistentVolumeClaimRetentionPolicy", "whenDeleted"))
	require.Equal(t, "2Gi", at(t, spec, "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"))
	require.Equal(t, []any{"ReadWriteOnce"}, at(t, spec, "volumeClaimTemplates", 0, "spec", "accessModes"))
	c := at(t, spec, "template", "spec", "containers", 0).(map[string]any)
	require.Equal(t, PostgresImage, c["image"])
	require.Equal(t, [2]string{"litellm-postgres", "POSTGRES_PASSWORD"}, authPoolSecretRefs(t, c)["POSTGRES_PASSWORD"])
	require.EqualValues(t, devDatabaseUID, at(t, c, "securityContext", "runAsUser"))
	require.NotEmpty(t, at(t, c, "resources", "limits", "memory"))
	require.EqualValues(t, devDatabaseUID, at(t, spec, "template", "spec", "securityContext", "fsGroup"))
}

func TestAuthPoolExistingDatabaseSecret(t *testing.T) {
	args := authPoolDevArgs()
	args.Database = AuthPoolDatabase{ExistingSecret: &SecretRef{Name: "litellm-db"}}
	r := mustRunAuthPool(t, args)
	require.Zero(t, r.count(authPoolStsType))
	require.Equal(t, 2, r.count(authPoolRandomType), "master and salt key only")
	require.Equal(t, 2, r.count(authPoolSecretType))
	require.Equal(t, 1, r.count(authPoolServiceType))
	dep := r.k8s(t, authPoolDeployType, "litellm")
	require.Equal(t, [2]string{"litellm-db", "DATABASE_URL"}, authPoolSecretRefs(t, authPoolContainer(t, dep, "litellm"))["DATABASE_URL"])

	args.Database.ExistingSecret.Key = "url"
	r = mustRunAuthPool(t, args)
	dep = r.k8s(t, authPoolDeployType, "litellm")
	require.Equal(t, [2]string{"litellm-db", "url"}, authPoolSecretRefs(t, authPoolContainer(t, dep, "litellm"))["DATABASE_URL"])
}

func TestAuthPoolOutputs(t *testing.T) {
	args := authPoolDevArgs()
	args.Name = "llm"
	r := mustRunAuthPool(t, args)

	require.Equal(t, "http://llm.agents.svc.cluster.local:4000/v1", r.out["baseUrl"].Value)
	require.Equal(t, "llm", r.out["serviceName"].Value)
	require.Equal(t, "llm-master-key", r.out["masterKeySecretName"].Value)
	require.Equal(t, contract.MasterKeyEnv, r.pool.MasterKeySecretKey)
	require.Equal(t, DefaultResponsesAlias, r.pool.ResponsesAlias)
	require.Equal(t, map[int]string{
		1: "kubectl exec -n agents -it deploy/llm -c codex-cli -- auth-login 1",
		2: "kubectl exec -n agents -it deploy/llm -c codex-cli -- auth-login 2",
		3: "kubectl exec -n agents -it deploy/llm -c codex-cli -- auth-login 3",
	}, r.pool.DeviceAuthCommandByAccount)
	require.Equal(t, []string{
		"kubectl exec -n agents -it deploy/llm -c codex-cli -- auth-login 1",
		"kubectl exec -n agents -it deploy/llm -c codex-cli -- auth-login 2",
		"kubectl exec -n agents -it deploy/llm -c codex-cli -- auth-login 3",
	}, r.out["deviceAuthCommands"].Value)
	require.NotEmpty(t, r.out["baseUrl"].Dependencies, "BaseURL depends on the Service")

	// The rotator's own login hint says the same as the output.
	cfg := rotator.Config{Namespace: "agents", Deployment: "llm"}
	require.Equal(t, r.pool.DeviceAuthCommandByAccount[1], cfg.LoginCommand(1))
}

func TestAuthPoolDefaults(t *testing.T) {
	a := LiteLLMAuthPoolArgs{Namespace: "x", Database: AuthPoolDatabase{InCluster: &AuthPoolInClusterDatabase{}}}.withDefaults()
	require.NoError(t, a.validate())
	require.Equal(t, "litellm", a.Name)
	require.Equal(t, DefaultLiteLLMImage, a.Image)
	require.Equal(t, []int{1, 2}, a.Accounts.InRotation)
	require.Empty(t, a.Accounts.Reserved)
	require.Equal(t, "30m", a.RotationInterval)
	require.Equal(t, "1Gi", a.AuthStorage.Size)
	require.Equal(t, DefaultCodexVersion, a.CodexVersion)
	require.Equal(t, DefaultAgentSelector(), a.AgentSelector)
	require.Equal(t, DefaultAuthPoolModels(), a.Models)
	require.Equal(t, "codex-cli/gpt-5.4", a.ResponsesAlias)
	require.Equal(t, "2Gi", a.Database.InCluster.StorageSize)
	require.Equal(t, DefaultLiteLLMResources(), *a.Resources)

	// Partial resources keep the other defaults; the caller's values are not mutated.
	in := LiteLLMAuthPoolArgs{Resources: &ResourcesArgs{Limits: ResourceList{Memory: "4Gi"}}, Database: AuthPoolDatabase{ExistingSecret: &SecretRef{Name: "db"}}}
	a = in.withDefaults()
	require.Equal(t, "4Gi", a.Resources.Limits.Memory)
	require.Equal(t, "250m", a.Resources.Requests.CPU)
	require.Equal(t, "DATABASE_URL", a.Database.ExistingSecret.Key)
	require.Equal(t, "", in.Database.ExistingSecret.Key)
	require.Equal(t, "", in.Resources.Requests.CPU)
}

func TestAuthPoolInvalidArgsFailBeforeAnyResource(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*LiteLLMAuthPoolArgs)
		field  string
	}{
		{"bad name", func(a *LiteLLMAuthPoolArgs) { a.Name = "LiteLLM_1" }, "name"},
		{"name too long", func(a *LiteLLMAuthPoolArgs) { a.Name = strings.Repeat("a", 41) }, "name"},
		{"missing namespace", func(a *LiteLLMAuthPoolArgs) { a.Namespace = "" }, "namespace"},
		{"bad namespace", func(a *LiteLLMAuthPoolArgs) { a.Namespace = "Agents" }, "namespace"},
		{"interval below 30m", func(a *LiteLLMAuthPoolArgs) { a.RotationInterval = "10m" }, "rotationInterval"},
		{"interval garbled", func(a *LiteLLMAuthPoolArgs) { a.RotationInterval = "half an hour" }, "rotationInterval"},
		{"account zero", func(a *LiteLLMAuthPoolArgs) { a.Accounts.InRotation = []int{0, 1} }, "accounts.inRotation[0]"},
		{"negative reserved", func(a *LiteLLMAuthPoolArgs) { a.Accounts.Reserved = []int{-3} }, "accounts.reserved[0]"},
		{"duplicate in rotation", func(a *LiteLLMAuthPoolArgs) { a.Accounts.InRotation = []int{1, 1} }, "accounts.inRotation[1]"},
		{"rotation overlaps reserved", func(a *LiteLLMAuthPoolArgs) { a.Accounts.Reserved = []int{2} }, "accounts.reserved[0]"},
		{"empty rotation", func(a *LiteLLMAuthPoolArgs) { a.Accounts.InRotation = []int{} }, "accounts.inRotation"},
		{"bad auth size", func(a *LiteLLMAuthPoolArgs) { a.AuthStorage.Size = "1GB" }, "authStorage.size"},
		{"bad storage class", func(a *LiteLLMAuthPoolArgs) { a.AuthStorage.StorageClass = "Fast_SSD" }, "authStorage.storageClass"},
		{"bad memory", func(a *LiteLLMAuthPoolArgs) { a.Resources = &ResourcesArgs{Limits: ResourceList{Memory: "lots"}} }, "resources.limits.memory"},
		{"memory limit below 1Gi", func(a *LiteLLMAuthPoolArgs) {
			a.Resources = &ResourcesArgs{Requests: ResourceList{Memory: "256Mi"}, Limits: ResourceList{Memory: "512Mi"}}
		}, "resources.limits.memory"},
		{"responses alias on chatgpt/responses/", func(a *LiteLLMAuthPoolArgs) {
			a.Models = []AuthPoolModel{{Alias: "codex-cli/gpt-5.4", Upstream: "chatgpt/responses/gpt-5.4"}}
		}, "models[0].upstream"},
		{"responses alias to another provider", func(a *LiteLLMAuthPoolArgs) {
			a.Models = []AuthPoolModel{{Alias: "codex-cli/gpt-5.4", Upstream: "openai/gpt-5.4", Path: AuthPoolResponsesPath}}
		}, "models[0].upstream"},
		{"only another provider's model: no alias for agents", func(a *LiteLLMAuthPoolArgs) {
			a.Models = []AuthPoolModel{{Alias: "codex-cli/gpt-5.4", Upstream: "openai/gpt-5.4"}}
		}, "responsesAlias"},
		{"agents' alias is a provider model", func(a *LiteLLMAuthPoolArgs) {
			a.Models = append(DefaultAuthPoolModels(), AuthPoolModel{Alias: "gpt-4.1", Upstream: "openai/gpt-4.1"})
			a.ResponsesAlias = "gpt-4.1"
		}, "responsesAlias"},
		{"provider path with a chatgpt model", func(a *LiteLLMAuthPoolArgs) {
			a.Models = append(DefaultAuthPoolModels(), AuthPoolModel{Alias: "x", Upstream: "chatgpt/gpt-5.4", Path: AuthPoolProviderPath})
		}, "models[1].path"},
		{"provider model without a provider", func(a *LiteLLMAuthPoolArgs) {
			a.Models = append(DefaultAuthPoolModels(), AuthPoolModel{Alias: "x", Upstream: "gpt-4.1", Path: AuthPoolProviderPath})
		}, "models[1].upstream"},
		{"provider key on a chatgpt model", func(a *LiteLLMAuthPoolArgs) {
			a.Models = []AuthPoolModel{{Alias: "codex-cli/gpt-5.4", Upstream: "chatgpt/gpt-5.4", APIKeySecret: &SecretRef{Name: "openai", Key: "key"}}}
		}, "models[0].apiKeySecret"},
		{"provider key Secret name", func(a *LiteLLMAuthPoolArgs) {
			a.Models = append(DefaultAuthPoolModels(), AuthPoolModel{Alias: "x", Upstream: "openai/gpt-4.1", APIKeySecret: &SecretRef{Name: "Bad_Name", Key: "key"}})
		}, "models[1].apiKeySecret.name"},
		{"provider api base", func(a *LiteLLMAuthPoolArgs) {
			a.Models = append(DefaultAuthPoolModels(), AuthPoolModel{Alias: "x", Upstream: "openai/gpt-4.1", APIBase: "ftp://x"})
		}, "models[1].apiBase"},
		{"placement toleration operator", func(a *LiteLLMAuthPoolArgs) {
			a.Placement.Tolerations = []k8score.Toleration{{Key: "pool", Operator: "In", Value: "dev"}}
		}, "placement.tolerations[0].operator"},
		{"placement node selector", func(a *LiteLLMAuthPoolArgs) {
			a.Placement.NodeSelector = map[string]string{"pool": "not a label value!"}
		}, "placement.nodeSelector.pool"},
		{"placement priority class", func(a *LiteLLMAuthPoolArgs) {
			a.Placement.PriorityClassName = "High_Priority"
		}, "placement.priorityClassName"},
		{"chat alias unprefixed", func(a *LiteLLMAuthPoolArgs) {
			a.Models = append(DefaultAuthPoolModels(), AuthPoolModel{Alias: "chat", Upstream: "chatgpt/gpt-5.4", Path: AuthPoolChatPath})
		}, "models[1].upstream"},
		{"no responses-path model", func(a *LiteLLMAuthPoolArgs) {
			a.Models = []AuthPoolModel{{Alias: "chat", Upstream: "chatgpt/responses/gpt-5.4", Path: AuthPoolChatPath}}
		}, "responsesAlias"},
		{"responses alias names a chat model", func(a *LiteLLMAuthPoolArgs) {
			a.Models = append(DefaultAuthPoolModels(), AuthPoolModel{Alias: "chat", Upstream: "chatgpt/responses/gpt-5.4", Path: AuthPoolChatPath})
			a.ResponsesAlias = "chat"
		}, "responsesAlias"},
		{"duplicate alias", func(a *LiteLLMAuthPoolArgs) { a.Models = append(DefaultAuthPoolModels(), DefaultAuthPoolModels()...) }, "models[1].alias"},
		{"unknown fallback", func(a *LiteLLMAuthPoolArgs) {
			a.Models = []AuthPoolModel{{Alias: "codex-cli/gpt-5.4", Upstream: "chatgpt/gpt-5.4", Fallbacks: []string{"free/model"}}}
		}, "models[0].fallbacks[0]"},
		{"fallback across paths", func(a *LiteLLMAuthPoolArgs) {
			a.Models = []AuthPoolModel{
				{Alias: "codex-cli/gpt-5.4", Upstream: "chatgpt/gpt-5.4", Fallbacks: []string{"chat"}},
				{Alias: "chat", Upstream: "chatgpt/responses/gpt-5.4", Path: AuthPoolChatPath},
			}
		}, "models[0].fallbacks[0]"},
		{"bad path", func(a *LiteLLMAuthPoolArgs) {
			a.Models = []AuthPoolModel{{Alias: "x", Upstream: "chatgpt/x", Path: "completions"}}
		}, "models[0].path"},
		{"no database", func(a *LiteLLMAuthPoolArgs) { a.Database = AuthPoolDatabase{} }, "database"},
		{"both databases", func(a *LiteLLMAuthPoolArgs) { a.Database.ExistingSecret = &SecretRef{Name: "db"} }, "database"},
		{"empty existing secret name", func(a *LiteLLMAuthPoolArgs) {
			a.Database = AuthPoolDatabase{ExistingSecret: &SecretRef{Key: "DATABASE_URL"}}
		}, "database.existingSecret.name"},
		{"bad existing secret key", func(a *LiteLLMAuthPoolArgs) {
			a.Database = AuthPoolDatabase{ExistingSecret: &SecretRef{Name: "db", Key: "a/b"}}
		}, "database.existingSecret.key"},
		{"bad db size", func(a *LiteLLMAuthPoolArgs) { a.Database.InCluster.StorageSize = "2 GiB" }, "database.inCluster.storageSize"},
		{"codex version range", func(a *LiteLLMAuthPoolArgs) { a.CodexVersion = "^0.171.0" }, "codexVersion"},
		{"codex latest", func(a *LiteLLMAuthPoolArgs) { a.CodexVersion = "latest" }, "codexVersion"},
		{"empty agent selector", func(a *LiteLLMAuthPoolArgs) { a.AgentSelector = map[string]string{} }, "agentSelector"},
		{"bad agent selector", func(a *LiteLLMAuthPoolArgs) { a.AgentSelector = map[string]string{"app": "a b"} }, "agentSelector"},
		{"unpinned image", func(a *LiteLLMAuthPoolArgs) { a.Image = "ghcr.io/berriai/litellm-non_root" }, "image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := authPoolDevArgs()
			args.Database = AuthPoolDatabase{InCluster: &AuthPoolInClusterDatabase{}}
			tc.mutate(&args)
			r, err := runAuthPool(t, args)
			require.Error(t, err)
			require.Empty(t, r.mocks.res, "nothing may be registered before validation passes")

			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a FieldError, got %v", err)
			var fields []string
			for _, e := range authPoolUnjoin(err) {
				if errors.As(e, &fe) {
					fields = append(fields, fe.Field)
					require.NotEmpty(t, fe.Fix, fe.Field)
				}
			}
			require.Contains(t, fields, tc.field, err.Error())
			require.Contains(t, err.Error(), tc.field)
		})
	}
}

// authPoolUnjoin flattens wrapped and joined errors.
func authPoolUnjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, authPoolUnjoin(e)...)
		}
		return out
	}
	if u := errors.Unwrap(err); u != nil {
		return authPoolUnjoin(u)
	}
	return []error{err}
}

func TestAuthPoolShortIntervalSaysWhy(t *testing.T) {
	args := authPoolDevArgs()
	args.RotationInterval = "29m"
	_, err := runAuthPool(t, args)
	require.ErrorContains(t, err, "sessions invalidated")
}

func TestAuthPoolEmptyPulumiName(t *testing.T) {
	mocks, err := runUnderMocks(func(ctx *pulumi.Context) error {
		_, err := NewLiteLLMAuthPool(ctx, "", authPoolDevArgs())
		return err
	})
	require.ErrorContains(t, err, "name")
	require.Empty(t, mocks.res)
}

func TestAuthPoolScriptsConfigMap(t *testing.T) {
	r := mustRunAuthPool(t, authPoolDevArgs())
	cm := r.k8s(t, authPoolCMType, "litellm-scripts")
	require.Equal(t, authPoolAuthLoginScript, at(t, cm.Plain, "data", "auth-login"))
	require.Equal(t, authPoolInstallCodexScript, at(t, cm.Plain, "data", "install-codex"))
	src := r.k8s(t, authPoolCMType, "litellm-rotator-src")
	for _, f := range rotator.SourceFiles() {
		require.Equal(t, f.Content, at(t, src.Plain, "data", f.Key), f.Key)
	}
	require.Contains(t, authPoolInstallCodexScript, "set -eu")
	require.NotContains(t, authPoolInstallCodexScript, "|| true")
	require.Contains(t, authPoolAuthLoginScript, "set -eu")
}

// ---- the scripts, run for real with stand-ins for codex, npm and the rotator -----------

func authPoolWriteExe(t *testing.T, path, body string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755))
}

func authPoolScript(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o755))
	return p
}

func TestAuthPoolAuthLoginScript(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	authDir := filepath.Join(dir, "chatgpt-auth")
	require.NoError(t, os.MkdirAll(authDir, 0o755))
	codex := filepath.Join(dir, "bin", "codex")
	rot := filepath.Join(dir, "bin", "codex-auth-rotator")
	// The fake codex writes a login into $HOME/.codex and records its HOME.
	authPoolWriteExe(t, codex, `set -eu
[ "$1 $2" = "login --device-auth" ] || exit 9
[ -z "${CODEX_HOME:-}" ] || exit 8
cp "$HOME/.codex/config.toml" "`+dir+`/login-config"
echo "$HOME" > "`+dir+`/home"
printf '{"auth_mode":"chatgpt","tokens":{"id_token":"i","access_token":"a","refresh_token":"r","account_id":"x"}}' > "$HOME/.codex/auth.json"
`)
	// The fake rotator records its arguments and the imported file's content.
	authPoolWriteExe(t, rot, `set -eu
echo "$@" > "`+dir+`/rotator-args"
while [ $# -gt 0 ]; do [ "$1" = --from ] && cp "$2" "`+dir+`/imported"; shift; done
`)
	script := authPoolScript(t, authPoolAuthLoginScript)
	loginConfig, err := codexconfig.Render(codexconfig.LoginConfig())
	require.NoError(t, err)
	loginConfigPath := filepath.Join(dir, authPoolLoginConfigFile)
	require.NoError(t, os.WriteFile(loginConfigPath, []byte(loginConfig), 0o444))
	run := func(args ...string) (string, error) {
		cmd := exec.Command("/bin/sh", append([]string{script}, args...)...)
		cmd.Env = append(os.Environ(),
			"AUTH_POOL_DIR="+authDir, "AUTH_POOL_ACCOUNTS=1,2", "AUTH_POOL_RESERVED=3", "AUTH_POOL_INTERVAL=30m",
			"AUTH_POOL_NAMESPACE=agents", "AUTH_POOL_DEPLOYMENT=litellm", "CODEX_BIN="+codex, "ROTATOR_BIN="+rot,
			"AUTH_POOL_LOGIN_CONFIG="+loginConfigPath, "CODEX_HOME=/nonexistent")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	for _, bad := range []string{"4", "0", "01", "-1", "x", "12"} {
		out, err := run(bad)
		require.Error(t, err, bad)
		require.Contains(t, out, "auth-login:", bad)
		_, statErr := os.Stat(filepath.Join(dir, "rotator-args"))
		require.True(t, os.IsNotExist(statErr), "nothing imported for %q", bad)
	}
	out, err := run()
	require.Error(t, err)
	require.Contains(t, out, "usage")

	out, err = run("2")
	require.NoError(t, err, out)
	seenConfig, err := os.ReadFile(filepath.Join(dir, "login-config"))
	require.NoError(t, err)
	parsed, err := codexconfig.Parse(string(seenConfig))
	require.NoError(t, err)
	require.Equal(t, codexconfig.CredentialsStoreFile, parsed.CLIAuthCredentialsStore, "codex logs in with the rendered login config")
	args, err := os.ReadFile(filepath.Join(dir, "rotator-args"))
	require.NoError(t, err)
	require.Equal(t, "import --dir "+authDir+" --accounts 1,2 --namespace agents --deployment litellm --reserved 3 2 --from", strings.Join(strings.Fields(string(args))[:13], " "))
	imported, err := os.ReadFile(filepath.Join(dir, "imported"))
	require.NoError(t, err)
	require.Contains(t, string(imported), `"refresh_token":"r"`)
	home, err := os.ReadFile(filepath.Join(dir, "home"))
	require.NoError(t, err)
	_, statErr := os.Stat(strings.TrimSpace(string(home)))
	require.True(t, os.IsNotExist(statErr), "the throwaway HOME is removed")
	require.Contains(t, out, "What happens next")
	require.Contains(t, out, "seed")

	out, err = run("3")
	require.NoError(t, err, out)
	require.Contains(t, out, "reserved")

	// A login without tokens is refused before the rotator sees it.
	require.NoError(t, os.Remove(filepath.Join(dir, "rotator-args")))
	authPoolWriteExe(t, codex, `printf '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-x"}' > "$HOME/.codex/auth.json"`)
	out, err = run("1")
	require.Error(t, err)
	require.Contains(t, out, "unusable")
	_, statErr = os.Stat(filepath.Join(dir, "rotator-args"))
	require.True(t, os.IsNotExist(statErr))

	// A failed login fails loudly.
	authPoolWriteExe(t, codex, `exit 1`)
	out, err = run("1")
	require.Error(t, err)
	require.Contains(t, out, "device-auth failed")
}

func TestAuthPoolInstallCodexScript(t *testing.T) {
	dir := t.TempDir()
	tools := filepath.Join(dir, "tools")
	bin := filepath.Join(dir, "bin")
	// The fake npm installs a codex that prints the version it was asked for, and counts calls.
	authPoolWriteExe(t, filepath.Join(bin, "npm"), `set -eu
echo x >> "`+dir+`/npm-calls"
prefix=""; spec=""
while [ $# -gt 0 ]; do case "$1" in --prefix) prefix=$2; shift ;; @openai/*) spec=$1 ;; esac; shift; done
[ -n "${NPM_FAIL:-}" ] && exit 1
v=${spec#@openai/codex@}
mkdir -p "$prefix/node_modules/.bin"
printf '#!/bin/sh\necho "codex-cli %s"\n' "${NPM_REPORT:-$v}" > "$prefix/node_modules/.bin/codex"
chmod +x "$prefix/node_modules/.bin/codex"
`)
	script := authPoolScript(t, authPoolInstallCodexScript)
	run := func(version string, env ...string) (string, error) {
		cmd := exec.Command("/bin/sh", script)
		cmd.Env = append(append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "TOOLS_DIR="+tools, "CODEX_VERSION="+version), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	calls := func() int {
		b, _ := os.ReadFile(filepath.Join(dir, "npm-calls"))
		return strings.Count(string(b), "x")
	}

	out, err := run("0.171.0")
	require.NoError(t, err, out)
	require.Equal(t, 1, calls())
	require.FileExists(t, filepath.Join(tools, "codex-0.171.0", "node_modules", ".bin", "codex"))

	out, err = run("0.171.0")
	require.NoError(t, err, out)
	require.Equal(t, 1, calls(), "an install of the same version is reused")
	require.Contains(t, out, "reusing")

	// A new version is installed and the old one removed.
	out, err = run("0.172.0")
	require.NoError(t, err, out)
	require.Equal(t, 2, calls())
	require.NoDirExists(t, filepath.Join(tools, "codex-0.171.0"))

	// npm failing fails the container, and leaves no half install under the final name.
	out, err = run("0.173.0", "NPM_FAIL=1")
	require.Error(t, err, out)
	require.NoDirExists(t, filepath.Join(tools, "codex-0.173.0"))

	// An install that reports another version fails loudly.
	out, err = run("0.174.0", "NPM_REPORT=0.1.0")
	require.Error(t, err, out)
	require.Contains(t, out, "expected version 0.174.0")
}
