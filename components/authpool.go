package components

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/codexconfig"
	"cloud-codex/contract"
	"cloud-codex/litellmconfig"
	"cloud-codex/rotator"
)

// LiteLLMAuthPool is the cluster's single holder of ChatGPT OAuth: a one-replica LiteLLM
// proxy that every codex agent calls, a device-auth station (the codex-cli sidecar) where
// operators log accounts in, and the auth rotator that seeds, refreshes and rotates the
// accounts' tokens on the chatgpt-auth volume.
type LiteLLMAuthPool struct {
	pulumi.ResourceState

	// BaseURL is the in-cluster OpenAI base URL agents use:
	// http://<name>.<namespace>.svc.cluster.local:4000/v1.
	BaseURL pulumi.StringOutput
	// ResponsesAlias is the model codex agents ask for (a responses-path alias mapped to an
	// unprefixed chatgpt/ model). Plain, because agents need it to render their config.
	ResponsesAlias string
	// DeviceAuthCommands is, per configured account (in rotation first, then reserved, in
	// the configured order), the command that logs it in:
	// kubectl exec -n <ns> -it deploy/<name> -c codex-cli -- auth-login <N>.
	DeviceAuthCommands pulumi.StringArrayOutput
	// DeviceAuthCommandByAccount is the same, keyed by account number, as plain strings.
	DeviceAuthCommandByAccount map[int]string
	// MasterKeySecretName is the Secret holding LiteLLM's master key under
	// MasterKeySecretKey (to create virtual keys).
	MasterKeySecretName pulumi.StringOutput
	// MasterKeySecretKey is the key of the master key in that Secret.
	MasterKeySecretKey string
	// ServiceName is the LiteLLM Service.
	ServiceName pulumi.StringOutput
	// Namespace the pool runs in.
	Namespace string
	// PodSelector selects the pool's LiteLLM pod (the agents' egress policy opens its port).
	PodSelector map[string]string
}

// LiteLLM proxy facts and the names of Secret keys this component uses.
const (
	// AuthPoolPort is LiteLLM's port (Service and container).
	AuthPoolPort = 4000
)

// Paths, ports and identities inside the pool's pod.
const (
	authPoolAuthDir       = "/chatgpt-auth"
	authPoolToolsDir      = authPoolAuthDir + "/.tools"
	authPoolConfigDir     = "/etc/litellm"
	authPoolSrcDir        = "/src"
	authPoolBinDir        = "/rotator-bin"
	authPoolRotatorBinary = "codex-auth-rotator"
	authPoolRotatorBin    = authPoolBinDir + "/" + authPoolRotatorBinary
	authPoolScriptsDir    = "/opt/auth-pool/bin"
	authPoolEventListen   = "127.0.0.1:4099"

	// authPoolUID is the uid of every container of the pool's pod, and its group and
	// fsGroup. The rotator writes token files with mode 0600, so every container that
	// reads or writes the chatgpt-auth volume (seed, rotator, LiteLLM, the codex-cli
	// station, install-codex) must run as the same uid. LiteLLM's non_root image runs as
	// nobody (65534) and owns its HOME (/app) as that user, so the others follow it
	// instead of their images' defaults (node: 1000, distroless nonroot: 65532, golang:
	// root); they get HOME=/tmp where they need a home. build-rotator never touches the
	// volume but uses the same uid for one simple rule.
	authPoolUID = 65534

	// authPoolTemplateChecksum annotates the pod template with a hash of everything the pod
	// reads at start (config.yaml, rotator source, scripts: ConfigMap contents), so a change
	// to any of them recreates the pod.
	authPoolTemplateChecksum = "cloud-codex/config-sha256"
)

//go:embed scripts/authpool-auth-login.sh
var authPoolAuthLoginScript string

//go:embed scripts/authpool-install-codex.sh
var authPoolInstallCodexScript string

// authPoolNames are the Kubernetes names of the pool's objects.
type authPoolNames struct {
	deployment, service, networkPolicy string
	masterKey, saltKey                 string
	config, source, scripts, authClaim string
	databaseSecret, databaseKey        string
	// database are the dev database's names, with Database.InCluster.
	database *devDatabaseNames
}

func authPoolNamesFor(a LiteLLMAuthPoolArgs) authPoolNames {
	n := a.Name
	names := authPoolNames{
		deployment:    n,
		service:       n,
		networkPolicy: n,
		masterKey:     n + "-master-key",
		saltKey:       n + "-salt-key",
		config:        n + "-config",
		source:        n + "-rotator-src",
		scripts:       n + "-scripts",
		authClaim:     n + contract.AuthClaimSuffix,
	}
	if s := a.Database.ExistingSecret; s != nil {
		names.databaseSecret, names.databaseKey = s.Name, s.Key
	} else {
		db := devDatabaseNamesFor(n)
		names.database = &db
		names.databaseSecret, names.databaseKey = db.urlSecret, contract.DatabaseURLEnv
	}
	return names
}

func authPoolLabels(a LiteLLMAuthPoolArgs) Labels {
	return Labels{Name: contract.AuthPoolLabelName, Instance: a.Name, Component: contract.AuthPoolLabelComponent}
}

// authPoolSelector is the pool pod's selector as plain labels.
func authPoolSelector(l Labels) map[string]string {
	out := map[string]string{}
	for k, v := range l.Selector() {
		out[k] = string(v.(pulumi.String))
	}
	return out
}

// AuthPoolDeviceAuthCommand is the command that logs account n in at the pool's station.
func AuthPoolDeviceAuthCommand(namespace, name string, n int) string {
	return fmt.Sprintf("kubectl exec -n %s -it deploy/%s -c codex-cli -- auth-login %d", namespace, name, n)
}

// AuthPoolBaseURL is the in-cluster base URL of a pool's Service.
func AuthPoolBaseURL(namespace, name string) string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d/v1", name, namespace, AuthPoolPort)
}

// authPoolLiteLLMConfig is LiteLLM's config.yaml as a typed value (args defaulted).
func authPoolLiteLLMConfig(a LiteLLMAuthPoolArgs) litellmconfig.Config {
	c := litellmconfig.Config{
		RouterSettings: litellmconfig.RouterSettings{NumRetries: 2},
		LiteLLMSettings: litellmconfig.LiteLLMSettings{
			DropParams: true,
			// The rotator learns about 429s from LiteLLM's stock generic_api logging
			// callback, posted to GENERIC_LOGGER_ENDPOINT (loopback, see the litellm container).
			Callbacks: []string{"generic_api"},
		},
		GeneralSettings: litellmconfig.GeneralSettings{
			MasterKey:   litellmconfig.EnvRef("LITELLM_MASTER_KEY"),
			DatabaseURL: litellmconfig.EnvRef("DATABASE_URL"),
		},
	}
	for i, m := range a.Models {
		c.ModelList = append(c.ModelList, litellmconfig.Model{
			ModelName:     m.Alias,
			LiteLLMParams: authPoolModelParams(i, m),
		})
		if len(m.Fallbacks) > 0 {
			c.RouterSettings.Fallbacks = append(c.RouterSettings.Fallbacks, map[string][]string{m.Alias: slices.Clone(m.Fallbacks)})
		}
	}
	return c
}

// authPoolBuild is everything computed from the args before any resource is registered.
type authPoolBuild struct {
	args   LiteLLMAuthPoolArgs
	names  authPoolNames
	labels Labels
	config string
	// loginConfig is codex's config.toml for auth-login (codexconfig.LoginConfig).
	loginConfig string
	sources     []rotator.SourceFile
	checksum    string
}

func authPoolPrepare(args LiteLLMAuthPoolArgs) (*authPoolBuild, error) {
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	config, err := litellmconfig.Render(authPoolLiteLLMConfig(a))
	if err != nil {
		return nil, err
	}
	loginConfig, err := codexconfig.Render(codexconfig.LoginConfig())
	if err != nil {
		return nil, err
	}
	sources := rotator.SourceFiles()
	if len(sources) == 0 {
		return nil, fmt.Errorf("rotator.SourceFiles returned no files: the rotator cannot be built in the pod")
	}
	keys := map[string]bool{}
	size := 0
	for _, f := range sources {
		if keys[f.Key] {
			return nil, fmt.Errorf("rotator.SourceFiles: key %q appears twice", f.Key)
		}
		keys[f.Key] = true
		size += len(f.Key) + len(f.Content)
	}
	if size > 900*1024 {
		return nil, fmt.Errorf("rotator source is %d bytes: too close to the 1 MiB ConfigMap limit", size)
	}

	h := sha256.New()
	put := func(parts ...string) {
		for _, p := range parts {
			fmt.Fprintf(h, "%d:%s", len(p), p)
		}
	}
	put(config, loginConfig, authPoolAuthLoginScript, authPoolInstallCodexScript)
	for _, f := range sources {
		put(f.Key, f.Path, f.Content)
	}
	return &authPoolBuild{
		args:        a,
		names:       authPoolNamesFor(a),
		labels:      authPoolLabels(a),
		config:      config,
		loginConfig: loginConfig,
		sources:     sources,
		checksum:    hex.EncodeToString(h.Sum(nil)),
	}, nil
}

// NewLiteLLMAuthPool declares the auth pool. All arguments are checked before anything is
// registered; an invalid one is reported with the field's name and the fix.
func NewLiteLLMAuthPool(ctx *pulumi.Context, name string, args LiteLLMAuthPoolArgs, opts ...pulumi.ResourceOption) (*LiteLLMAuthPool, error) {
	if name == "" {
		return nil, &FieldError{"name", `""`, "the Pulumi resource name of the LiteLLMAuthPool is required"}
	}
	if args.Database.InCluster != nil {
		return nil, fmt.Errorf("LiteLLMAuthPool %q: %w", name, &FieldError{"database.inCluster", "(set)",
			"the pool declares no database of its own: declare the dev database with NewPoolDevDatabase(ctx, name, args) and pass " +
				"args.WithDevDatabase(db) (main.go does so for the stack config's litellm.database.inCluster)"})
	}
	b, err := authPoolPrepare(args)
	if err != nil {
		return nil, fmt.Errorf("LiteLLMAuthPool %q: %w", name, err)
	}
	a, names := b.args, b.names

	pool := &LiteLLMAuthPool{}
	if err := ctx.RegisterComponentResource(contract.LiteLLMAuthPoolType, name, pool, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(pool)
	meta := func(objName string, l Labels) *metav1.ObjectMetaArgs {
		return Meta(objName, a.Namespace, l, a.SkipAwait)
	}
	fail := func(what string, err error) (*LiteLLMAuthPool, error) {
		return nil, fmt.Errorf("LiteLLMAuthPool %q: %s: %w", name, what, err)
	}

	// Master key: may be regenerated (it only guards the admin API).
	masterKey, _, err := newSKSecret(ctx, name+"-master-key", meta(names.masterKey, b.labels), contract.MasterKeyEnv, parent)
	if err != nil {
		return fail("master key", err)
	}
	// Salt key: encrypts what LiteLLM stores in its database, so it must never change once
	// created. The Secret ignores changes to its data (a replaced or re-parameterised
	// generator can never reach it) and is retained on delete (a destroy, or removing the
	// pool from the program, leaves the key the database still needs). A new stack that
	// declares the same Secret then fails loudly with a server-side-apply conflict on its
	// data (owned by the old stack's field manager) instead of silently minting a new salt;
	// adopt the existing Secret with `pulumi import` instead. Not Protect: it would block
	// every `pulumi destroy` of a dev stack and guard nothing the two options above leave open.
	saltKey, _, err := newSKSecret(ctx, name+"-salt-key", meta(names.saltKey, b.labels), contract.SaltKeyEnv, parent,
		pulumi.IgnoreChanges([]string{"data", "stringData"}), pulumi.RetainOnDelete(true))
	if err != nil {
		return fail("salt key", err)
	}

	// The database's objects (a DevDatabase's, see WithDevDatabase) before LiteLLM starts.
	deps := append([]pulumi.Resource{masterKey, saltKey}, a.Database.WaitFor...)

	configMap, err := corev1.NewConfigMap(ctx, name+"-config", &corev1.ConfigMapArgs{
		Metadata: meta(names.config, b.labels),
		Data:     pulumi.StringMap{litellmconfig.FileName: pulumi.String(b.config)},
	}, parent)
	if err != nil {
		return fail("config.yaml ConfigMap", err)
	}
	sourceMap, err := corev1.NewConfigMap(ctx, name+"-rotator-src", &corev1.ConfigMapArgs{
		Metadata: meta(names.source, b.labels),
		Data:     shippedSourceData(b.sources),
	}, parent)
	if err != nil {
		return fail("rotator source ConfigMap", err)
	}
	scriptsMap, err := corev1.NewConfigMap(ctx, name+"-scripts", &corev1.ConfigMapArgs{
		Metadata: meta(names.scripts, b.labels),
		Data: pulumi.StringMap{
			"auth-login":            pulumi.String(authPoolAuthLoginScript),
			"install-codex":         pulumi.String(authPoolInstallCodexScript),
			authPoolLoginConfigFile: pulumi.String(b.loginConfig),
		},
	}, parent)
	if err != nil {
		return fail("scripts ConfigMap", err)
	}

	// The chatgpt-auth claim holds the accounts' refresh tokens: losing it means a new
	// device-auth login per account. statePVCOptions: retained on delete (a destroy or a
	// removal from the program leaves it), and changes to the immutable fields (class,
	// access modes, volume name, selector), which would replace the claim (with an explicit
	// name, delete-before-replace), are ignored. A bigger Size still applies in place
	// (expansion); a smaller one is refused by the API server, loudly. Not Protect:
	// retention already keeps the data through a destroy, and Protect would block tearing
	// down dev stacks.
	pvcSpec := &corev1.PersistentVolumeClaimSpecArgs{
		AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
		Resources: &corev1.VolumeResourceRequirementsArgs{
			Requests: pulumi.StringMap{"storage": pulumi.String(a.AuthStorage.Size)},
		},
	}
	if a.AuthStorage.StorageClass != "" {
		pvcSpec.StorageClassName = pulumi.String(a.AuthStorage.StorageClass)
	}
	authClaim, err := corev1.NewPersistentVolumeClaim(ctx, name+"-chatgpt-auth", &corev1.PersistentVolumeClaimArgs{
		Metadata: meta(names.authClaim, b.labels),
		Spec:     pvcSpec,
	}, parent, statePVCOptions())
	if err != nil {
		return fail("chatgpt-auth PVC", err)
	}
	deps = append(deps, configMap, sourceMap, scriptsMap, authClaim)

	if _, err := authPoolDeployment(ctx, name, b, parent, pulumi.DependsOn(deps)); err != nil {
		return fail("Deployment", err)
	}

	// The Service is never awaited (pulumi-kubernetes would wait for a ready endpoint,
	// i.e. for LiteLLM): the Deployment's own await is the readiness signal, and agents,
	// which depend on BaseURL and so on this Service, must not wait for the first device-
	// auth login. They retry until LiteLLM answers.
	service, err := corev1.NewService(ctx, name+"-service", &corev1.ServiceArgs{
		Metadata: Meta(names.service, a.Namespace, b.labels, true),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: b.labels.Selector(),
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name:       pulumi.String("http"),
				Port:       pulumi.Int(AuthPoolPort),
				TargetPort: pulumi.String("http"),
				Protocol:   pulumi.String("TCP"),
			}},
		},
	}, parent)
	if err != nil {
		return fail("Service", err)
	}

	// Only this stack's agent pods (AgentSelector, in Namespace) reach LiteLLM. The rotator's
	// event listener is on loopback and needs no rule. Egress stays open: LiteLLM calls
	// ChatGPT and its database, the rotator the OAuth endpoint, install-codex npm.
	agentSelector := pulumi.StringMap{}
	for k, v := range a.AgentSelector {
		agentSelector[k] = pulumi.String(v)
	}
	_, err = networkingv1.NewNetworkPolicy(ctx, name+"-network-policy", &networkingv1.NetworkPolicyArgs{
		Metadata: meta(names.networkPolicy, b.labels),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: b.labels.Selector()},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
					PodSelector: &metav1.LabelSelectorArgs{MatchLabels: agentSelector},
				}},
				Ports: networkingv1.NetworkPolicyPortArray{&networkingv1.NetworkPolicyPortArgs{
					Protocol: pulumi.String("TCP"),
					Port:     pulumi.Int(AuthPoolPort),
				}},
			}},
		},
	}, parent)
	if err != nil {
		return fail("NetworkPolicy", err)
	}

	// Outputs carry a dependency on the object they name (URNs are known even in preview).
	baseURL := AuthPoolBaseURL(a.Namespace, names.service)
	pool.BaseURL = service.URN().ApplyT(func(pulumi.URN) string { return baseURL }).(pulumi.StringOutput)
	pool.ServiceName = service.URN().ApplyT(func(pulumi.URN) string { return names.service }).(pulumi.StringOutput)
	pool.MasterKeySecretName = masterKey.URN().ApplyT(func(pulumi.URN) string { return names.masterKey }).(pulumi.StringOutput)
	pool.MasterKeySecretKey = contract.MasterKeyEnv
	pool.ResponsesAlias = a.ResponsesAlias
	pool.Namespace = a.Namespace
	pool.PodSelector = authPoolSelector(b.labels)
	pool.DeviceAuthCommandByAccount = map[int]string{}
	var commands []string
	for _, n := range a.Accounts.All() {
		cmd := AuthPoolDeviceAuthCommand(a.Namespace, names.deployment, n)
		pool.DeviceAuthCommandByAccount[n] = cmd
		commands = append(commands, cmd)
	}
	pool.DeviceAuthCommands = pulumi.ToStringArray(commands).ToStringArrayOutput()

	if err := ctx.RegisterResourceOutputs(pool, pulumi.Map{
		"baseUrl":             pool.BaseURL,
		"responsesAlias":      pulumi.String(pool.ResponsesAlias),
		"deviceAuthCommands":  pool.DeviceAuthCommands,
		"masterKeySecretName": pool.MasterKeySecretName,
		"masterKeySecretKey":  pulumi.String(pool.MasterKeySecretKey),
		"serviceName":         pool.ServiceName,
		"namespace":           pulumi.String(pool.Namespace),
	}); err != nil {
		return nil, err
	}
	return pool, nil
}
