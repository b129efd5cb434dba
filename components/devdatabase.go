package components

import (
	"errors"
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components/podspec"
	"cloud-codex/contract"
)

// DevDatabase is a dev-only Postgres for LiteLLM's virtual keys: a generated password, a
// Secret holding it, a Secret holding the DATABASE_URL built from it, a Service, a
// one-replica StatefulSet whose volume claim Kubernetes keeps when the StatefulSet is
// deleted, and a NetworkPolicy that admits only the pods Clients selects. A LiteLLMAuthPool
// takes its URLSecret as database.existingSecret, as it would a production database's
// (stack config: litellm.database.inCluster makes main.go declare one with
// NewPoolDevDatabase beside the pool).
type DevDatabase struct {
	pulumi.ResourceState

	// URLSecret names the Secret and key holding the postgresql:// URL (plain: the names
	// are known before anything is created).
	URLSecret SecretRef
	// WaitFor are what a client's workload depends on: the URL Secret and the StatefulSet.
	// Not the DevDatabase itself: the Go SDK expands a dependency on a component into the
	// children registered so far, which races with the component's own registrations.
	WaitFor []pulumi.Resource
	// ServiceName is the database's Service (port 5432).
	ServiceName string
}

// DevDatabaseArgs configures a DevDatabase.
type DevDatabaseArgs struct {
	// Storage of the data volume: size (default "2Gi") and class (default: the cluster's).
	AuthPoolInClusterDatabase `pulumi:"storage"`
	// Namespace the database runs in (it must exist). Required.
	Namespace string `pulumi:"namespace"`
	// Instance is the application the database serves. Its objects are named
	// <instance>-postgres (Service, StatefulSet, password Secret, NetworkPolicy) and
	// <instance>-database-url (the URL Secret), and labelled app.kubernetes.io/instance=
	// <instance>. Required.
	Instance string `pulumi:"instance"`
	// Clients are the pod labels the NetworkPolicy admits to port 5432, in Namespace.
	// Required: a database nobody may reach is a mistake.
	Clients map[string]string `pulumi:"clients"`
	// Placement of the database's pod. Default: none.
	Placement PlacementArgs `pulumi:"placement"`
	// SkipAwait marks the objects ready at once (API-only clusters).
	SkipAwait bool `pulumi:"skipAwait"`
}

const (
	devDatabasePort = 5432
	// devDatabaseUID is the postgres user of the official image. Running the image as
	// that uid (instead of root, which then drops to it) meets the restricted standard;
	// fsGroup 999 makes the data volume writable for it.
	devDatabaseUID = 999
	// devDatabasePasswordKey is the password's key in the password Secret.
	devDatabasePasswordKey = "POSTGRES_PASSWORD"
	// devDatabaseUser is the Postgres user and database LiteLLM uses.
	devDatabaseUser = "litellm"
)

var devDatabaseResources = requestsAndLimits("100m", "256Mi", "1", "1Gi")

// devDatabaseNames are the Kubernetes names of a DevDatabase's objects.
type devDatabaseNames struct {
	postgres, password, networkPolicy, urlSecret string
}

func devDatabaseNamesFor(instance string) devDatabaseNames {
	pg := instance + "-postgres"
	return devDatabaseNames{postgres: pg, password: pg, networkPolicy: pg, urlSecret: instance + "-database-url"}
}

func devDatabaseLabels(instance string) Labels {
	return Labels{Name: "postgres", Instance: instance, Component: "database"}
}

// devDatabaseMaxInstanceLen keeps every name derived from a DevDatabase's instance valid
// (validate says which is the tightest).
const devDatabaseMaxInstanceLen = 52 - len("-postgres")

// validate checks the args (storage defaulted), every problem at its field's name.
func (a DevDatabaseArgs) validate() error {
	var errs []error
	if err := CheckDNSLabel("namespace", a.Namespace, 63); err != nil {
		errs = append(errs, err)
	}
	// <instance>-postgres names a Service (a DNS-1035 label: a letter first) and the
	// StatefulSet, whose pods carry the label controller-revision-hash=<statefulset>-<hash of
	// up to 10 digits>, a label value of at most 63 characters: the StatefulSet's name may
	// have 52, so the instance 52-len("-postgres"). (Its claim, data-<instance>-postgres-0,
	// needs less.)
	if err := CheckServiceName("instance", a.Instance, devDatabaseMaxInstanceLen); err != nil {
		errs = append(errs, err)
	}
	if len(a.Clients) == 0 {
		errs = append(errs, &FieldError{"clients", "{}", "set the pod labels of the database's clients (e.g. a LiteLLMAuthPool's PodSelector): the NetworkPolicy admits only them"})
	}
	if err := CheckStorageSize("storageSize", a.StorageSize); err != nil {
		errs = append(errs, err)
	}
	if err := authPoolCheckStorageClass("storageClass", a.StorageClass); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, a.Placement.validate("placement")...)
	return errors.Join(errs...)
}

// devDatabaseMove says where a pool's dev database was declared before it was wired in
// main.go: first its objects directly under the LiteLLMAuthPool (named after the pool),
// then the DevDatabase component inside the pool. The component's alias (to the pool as
// parent) carries the second layout, the engine deriving its children's aliases from it;
// each child's own alias carries the first. Both keep an existing stack's objects (and the
// database's data) in place.
type devDatabaseMove struct {
	poolURN  pulumi.URNInput
	poolName string
	// urlSecretLabels are the pool's labels, which the URL Secret carried as the pool's.
	urlSecretLabels Labels
}

// NewDevDatabase declares a dev database. Every argument is checked before anything is
// registered.
func NewDevDatabase(ctx *pulumi.Context, name string, args DevDatabaseArgs, opts ...pulumi.ResourceOption) (*DevDatabase, error) {
	return newDevDatabase(ctx, name, args, nil, opts...)
}

// NewPoolDevDatabase declares the dev database of the LiteLLMAuthPool that
// NewLiteLLMAuthPool(ctx, poolName, pool) declares next (stack config:
// litellm.database.inCluster): named and labelled after the pool, admitting only the
// pool's pod, placed where the pool runs, at <poolName>-postgres. Hand it to the pool with
// pool.WithDevDatabase(db), which reads its URL Secret as database.existingSecret. It is a
// sibling of the pool, not its child: the production auth pool declares no dev-only
// objects.
func NewPoolDevDatabase(ctx *pulumi.Context, poolName string, pool LiteLLMAuthPoolArgs, opts ...pulumi.ResourceOption) (*DevDatabase, error) {
	// The pool's args are checked here, before anything is registered: a dev database
	// declared for a pool that then fails its checks would be half a stack.
	if err := pool.Validate(); err != nil {
		return nil, fmt.Errorf("LiteLLMAuthPool %q: %w", poolName, err)
	}
	a := pool.withDefaults()
	storage := a.Database.InCluster
	if storage == nil {
		return nil, fmt.Errorf("LiteLLMAuthPool %q: database.inCluster is not set (the pool reads database.existingSecret): no dev database to declare", poolName)
	}
	poolURN := pulumi.CreateURN(pulumi.String(poolName), pulumi.String(contract.LiteLLMAuthPoolType), nil,
		pulumi.String(ctx.Project()), pulumi.String(ctx.Stack()))
	labels := authPoolLabels(a)
	opts = append(opts, pulumi.Aliases([]pulumi.Alias{{ParentURN: poolURN}}))
	return newDevDatabase(ctx, poolName+"-postgres", DevDatabaseArgs{
		AuthPoolInClusterDatabase: *storage,
		Namespace:                 a.Namespace,
		Instance:                  a.Name,
		Clients:                   authPoolSelector(labels),
		// The dev database runs where LiteLLM may run.
		Placement: a.Placement,
		SkipAwait: a.SkipAwait,
	}, &devDatabaseMove{poolURN: poolURN, poolName: poolName, urlSecretLabels: labels}, opts...)
}

func newDevDatabase(ctx *pulumi.Context, name string, args DevDatabaseArgs, moved *devDatabaseMove, opts ...pulumi.ResourceOption) (*DevDatabase, error) {
	if args.StorageSize == "" {
		args.StorageSize = DefaultInClusterDatabaseSize
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("DevDatabase %q: %w", name, err)
	}
	db := &DevDatabase{}
	if err := ctx.RegisterComponentResource(contract.DevDatabaseType, name, db, opts...); err != nil {
		return nil, err
	}
	if err := declareDevDatabase(ctx, name, db, args, moved); err != nil {
		return nil, fmt.Errorf("DevDatabase %q: %w", name, err)
	}
	names := devDatabaseNamesFor(args.Instance)
	db.URLSecret = SecretRef{Name: names.urlSecret, Key: contract.DatabaseURLEnv}
	db.ServiceName = names.postgres
	if err := ctx.RegisterResourceOutputs(db, pulumi.Map{
		"urlSecretName": pulumi.String(db.URLSecret.Name),
		"urlSecretKey":  pulumi.String(db.URLSecret.Key),
		"serviceName":   pulumi.String(db.ServiceName),
	}); err != nil {
		return nil, err
	}
	return db, nil
}

// declareDevDatabase registers the database's objects and sets db.WaitFor.
func declareDevDatabase(ctx *pulumi.Context, name string, db *DevDatabase, a DevDatabaseArgs, moved *devDatabaseMove) error {
	names := devDatabaseNamesFor(a.Instance)
	labels := devDatabaseLabels(a.Instance)
	meta := func(objName string) *metav1.ObjectMetaArgs {
		return Meta(objName, a.Namespace, labels, a.SkipAwait)
	}
	// child: the options of the child that was <oldSuffix> under the pool before.
	child := func(oldSuffix string) []pulumi.ResourceOption {
		o := []pulumi.ResourceOption{pulumi.Parent(db)}
		if moved != nil {
			o = append(o, pulumi.Aliases([]pulumi.Alias{{
				Name:      pulumi.String(moved.poolName + oldSuffix),
				ParentURN: moved.poolURN,
			}}))
		}
		return o
	}

	// Alphanumeric: it goes into a URL unescaped.
	pw, err := random.NewRandomPassword(ctx, name+"-password", &random.RandomPasswordArgs{
		Length:  pulumi.Int(32),
		Special: pulumi.Bool(false),
	}, child("-postgres-password")...)
	if err != nil {
		return fmt.Errorf("password: %w", err)
	}
	password := pulumi.ToSecret(pw.Result).(pulumi.StringOutput)

	pgSecret, err := corev1.NewSecret(ctx, name+"-password", &corev1.SecretArgs{
		Metadata:   meta(names.password),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{devDatabasePasswordKey: password},
	}, child("-postgres")...)
	if err != nil {
		return fmt.Errorf("password Secret: %w", err)
	}

	url := pulumi.ToSecret(pulumi.Sprintf("postgresql://%s:%s@%s.%s.svc.cluster.local:%d/%s",
		devDatabaseUser, password, names.postgres, a.Namespace, devDatabasePort, devDatabaseUser)).(pulumi.StringOutput)
	urlLabels := labels
	if moved != nil {
		urlLabels = moved.urlSecretLabels
	}
	urlSecret, err := corev1.NewSecret(ctx, name+"-url", &corev1.SecretArgs{
		Metadata:   Meta(names.urlSecret, a.Namespace, urlLabels, a.SkipAwait),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{contract.DatabaseURLEnv: url},
	}, child("-database-url")...)
	if err != nil {
		return fmt.Errorf("URL Secret: %w", err)
	}

	service, err := corev1.NewService(ctx, name+"-service", &corev1.ServiceArgs{
		Metadata: meta(names.postgres),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: labels.Selector(),
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name:       pulumi.String("postgres"),
				Port:       pulumi.Int(devDatabasePort),
				TargetPort: pulumi.String("postgres"),
				Protocol:   pulumi.String("TCP"),
			}},
		},
	}, child("-postgres-service")...)
	if err != nil {
		return fmt.Errorf("postgres Service: %w", err)
	}

	claimSpec := &corev1.PersistentVolumeClaimSpecArgs{
		AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
		Resources: &corev1.VolumeResourceRequirementsArgs{
			Requests: pulumi.StringMap{"storage": pulumi.String(a.StorageSize)},
		},
	}
	if a.StorageClass != "" {
		claimSpec.StorageClassName = pulumi.String(a.StorageClass)
	}
	pgReady := &corev1.ProbeArgs{
		Exec: &corev1.ExecActionArgs{Command: pulumi.ToStringArray([]string{
			"pg_isready", "-h", "127.0.0.1", "-U", devDatabaseUser, "-d", devDatabaseUser,
		})},
		PeriodSeconds: pulumi.Int(10), TimeoutSeconds: pulumi.Int(5), FailureThreshold: pulumi.Int(3),
	}
	podSecurity := podspec.RestrictedPod(devDatabaseUID)
	podSecurity.RunAsUser = pulumi.Int(devDatabaseUID)
	podSecurity.RunAsGroup = pulumi.Int(devDatabaseUID)

	pgSpec := &corev1.PodSpecArgs{
		AutomountServiceAccountToken: pulumi.Bool(false),
		EnableServiceLinks:           pulumi.Bool(false),
		SecurityContext:              podSecurity,
		Containers: corev1.ContainerArray{&corev1.ContainerArgs{
			Name:  pulumi.String("postgres"),
			Image: pulumi.String(PostgresImage),
			Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{
				Name: pulumi.String("postgres"), ContainerPort: pulumi.Int(devDatabasePort), Protocol: pulumi.String("TCP"),
			}},
			Env: append(corev1.EnvVarArray{
				podspec.Env("POSTGRES_USER", devDatabaseUser),
				podspec.Env("POSTGRES_DB", devDatabaseUser),
				// A subdirectory: the volume's root may hold lost+found.
				podspec.Env("PGDATA", "/var/lib/postgresql/data/pgdata"),
			}, podspec.SecretEnv("POSTGRES_PASSWORD", names.password, devDatabasePasswordKey)),
			ReadinessProbe: pgReady,
			LivenessProbe: &corev1.ProbeArgs{
				TcpSocket:     &corev1.TCPSocketActionArgs{Port: pulumi.String("postgres")},
				PeriodSeconds: pulumi.Int(20), TimeoutSeconds: pulumi.Int(5), FailureThreshold: pulumi.Int(6),
				InitialDelaySeconds: pulumi.Int(30),
			},
			Resources:       resourceRequirements(devDatabaseResources),
			SecurityContext: podspec.RestrictedContainer(devDatabaseUID),
			VolumeMounts: corev1.VolumeMountArray{
				podspec.Mount("data", "/var/lib/postgresql/data", false),
				// The image's socket directory; writable as uid 999, but keep it off
				// the container layer.
				podspec.Mount("run", "/var/run/postgresql", false),
				// The entrypoint's and initdb's scratch: the root filesystem is read-only.
				podspec.Mount(podspec.ScratchVolume, podspec.ScratchDir, false),
			},
		}},
		Volumes: corev1.VolumeArray{
			&corev1.VolumeArgs{
				Name:     pulumi.String("run"),
				EmptyDir: &corev1.EmptyDirVolumeSourceArgs{},
			},
			podspec.Scratch("256Mi"),
		},
	}
	if err := a.Placement.apply(pgSpec); err != nil {
		return fmt.Errorf("placement: %w", err)
	}
	sts, err := appsv1.NewStatefulSet(ctx, name+"-statefulset", &appsv1.StatefulSetArgs{
		Metadata: meta(names.postgres),
		Spec: &appsv1.StatefulSetSpecArgs{
			Replicas:    pulumi.Int(1),
			ServiceName: pulumi.String(names.postgres),
			Selector:    &metav1.LabelSelectorArgs{MatchLabels: labels.Selector()},
			// Kubernetes' default, spelled out: the data outlives the StatefulSet.
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs{
				WhenDeleted: pulumi.String("Retain"),
				WhenScaled:  pulumi.String("Retain"),
			},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: labels.All()},
				Spec:     pgSpec,
			},
			VolumeClaimTemplates: corev1.PersistentVolumeClaimTypeArray{&corev1.PersistentVolumeClaimTypeArgs{
				Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("data"), Labels: labels.All()},
				Spec:     claimSpec,
			}},
		},
	}, append(child("-postgres-statefulset"), pulumi.DependsOn([]pulumi.Resource{pgSecret, service}))...)
	if err != nil {
		return fmt.Errorf("postgres StatefulSet: %w", err)
	}
	db.WaitFor = []pulumi.Resource{urlSecret, sts}

	_, err = networkingv1.NewNetworkPolicy(ctx, name+"-network-policy", &networkingv1.NetworkPolicyArgs{
		Metadata: meta(names.networkPolicy),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: labels.Selector()},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
					PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(a.Clients)},
				}},
				Ports: networkingv1.NetworkPolicyPortArray{&networkingv1.NetworkPolicyPortArgs{
					Protocol: pulumi.String("TCP"),
					Port:     pulumi.Int(devDatabasePort),
				}},
			}},
		},
	}, child("-postgres-network-policy")...)
	if err != nil {
		return fmt.Errorf("postgres NetworkPolicy: %w", err)
	}
	return nil
}
