package components

import (
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components/podspec"
)

const (
	authPoolPostgresPort = 5432
	// authPoolPostgresUID is the postgres user of the official image. Running the image as
	// that uid (instead of root, which then drops to it) meets the restricted standard;
	// fsGroup 999 makes the data volume writable for it.
	authPoolPostgresUID = 999
	// authPoolPostgresPasswordKey is the password's key in the Postgres Secret.
	authPoolPostgresPasswordKey = "POSTGRES_PASSWORD"
)

var authPoolPostgresResources = requestsAndLimits("100m", "256Mi", "1", "1Gi")

func authPoolPostgresLabels(a LiteLLMAuthPoolArgs) Labels {
	return Labels{Name: "postgres", Instance: a.Name, Component: "database"}
}

// authPoolInClusterDatabase declares the dev database: a generated password, a Secret
// with POSTGRES_PASSWORD, a Secret with LiteLLM's DATABASE_URL built from it, a Service,
// a one-replica StatefulSet whose volume claim Kubernetes keeps when the StatefulSet is
// deleted, and a NetworkPolicy that admits only the pool's pod. It returns what the
// LiteLLM Deployment must wait for.
func authPoolInClusterDatabase(ctx *pulumi.Context, name string, b *authPoolBuild, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	a, names := b.args, b.names
	db := a.Database.InCluster
	labels := authPoolPostgresLabels(a)
	meta := func(objName string, l Labels) *metav1.ObjectMetaArgs {
		return Meta(objName, a.Namespace, l, a.SkipAwait)
	}

	// Alphanumeric: it goes into a URL unescaped.
	pw, err := random.NewRandomPassword(ctx, name+"-postgres-password", &random.RandomPasswordArgs{
		Length:  pulumi.Int(32),
		Special: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, err
	}
	password := pulumi.ToSecret(pw.Result).(pulumi.StringOutput)

	pgSecret, err := corev1.NewSecret(ctx, name+"-postgres", &corev1.SecretArgs{
		Metadata:   meta(names.postgresPassword, labels),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{authPoolPostgresPasswordKey: password},
	}, parent)
	if err != nil {
		return nil, err
	}

	url := pulumi.ToSecret(pulumi.Sprintf("postgresql://%s:%s@%s.%s.svc.cluster.local:%d/%s",
		names.postgresUser, password, names.postgres, a.Namespace, authPoolPostgresPort, names.postgresUser)).(pulumi.StringOutput)
	urlSecret, err := corev1.NewSecret(ctx, name+"-database-url", &corev1.SecretArgs{
		Metadata:   meta(names.databaseSecret, b.labels),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{names.databaseKey: url},
	}, parent)
	if err != nil {
		return nil, err
	}

	service, err := corev1.NewService(ctx, name+"-postgres-service", &corev1.ServiceArgs{
		Metadata: meta(names.postgres, labels),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: labels.Selector(),
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name:       pulumi.String("postgres"),
				Port:       pulumi.Int(authPoolPostgresPort),
				TargetPort: pulumi.String("postgres"),
				Protocol:   pulumi.String("TCP"),
			}},
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	claimSpec := &corev1.PersistentVolumeClaimSpecArgs{
		AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
		Resources: &corev1.VolumeResourceRequirementsArgs{
			Requests: pulumi.StringMap{"storage": pulumi.String(db.StorageSize)},
		},
	}
	if db.StorageClass != "" {
		claimSpec.StorageClassName = pulumi.String(db.StorageClass)
	}
	pgReady := &corev1.ProbeArgs{
		Exec: &corev1.ExecActionArgs{Command: pulumi.ToStringArray([]string{
			"pg_isready", "-h", "127.0.0.1", "-U", names.postgresUser, "-d", names.postgresUser,
		})},
		PeriodSeconds: pulumi.Int(10), TimeoutSeconds: pulumi.Int(5), FailureThreshold: pulumi.Int(3),
	}
	podSecurity := podspec.RestrictedPod(authPoolPostgresUID)
	podSecurity.RunAsUser = pulumi.Int(authPoolPostgresUID)
	podSecurity.RunAsGroup = pulumi.Int(authPoolPostgresUID)

	pgSpec := &corev1.PodSpecArgs{
		AutomountServiceAccountToken: pulumi.Bool(false),
		EnableServiceLinks:           pulumi.Bool(false),
		SecurityContext:              podSecurity,
		Containers: corev1.ContainerArray{&corev1.ContainerArgs{
			Name:  pulumi.String("postgres"),
			Image: pulumi.String(PostgresImage),
			Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{
				Name: pulumi.String("postgres"), ContainerPort: pulumi.Int(authPoolPostgresPort), Protocol: pulumi.String("TCP"),
			}},
			Env: append(corev1.EnvVarArray{
				podspec.Env("POSTGRES_USER", names.postgresUser),
				podspec.Env("POSTGRES_DB", names.postgresUser),
				// A subdirectory: the volume's root may hold lost+found.
				podspec.Env("PGDATA", "/var/lib/postgresql/data/pgdata"),
			}, podspec.SecretEnv("POSTGRES_PASSWORD", names.postgresPassword, authPoolPostgresPasswordKey)),
			ReadinessProbe: pgReady,
			LivenessProbe: &corev1.ProbeArgs{
				TcpSocket:     &corev1.TCPSocketActionArgs{Port: pulumi.String("postgres")},
				PeriodSeconds: pulumi.Int(20), TimeoutSeconds: pulumi.Int(5), FailureThreshold: pulumi.Int(6),
				InitialDelaySeconds: pulumi.Int(30),
			},
			Resources:       resourceRequirements(authPoolPostgresResources),
			SecurityContext: podspec.RestrictedContainer(authPoolPostgresUID),
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
	// The pool's placement: the dev database runs where LiteLLM may run.
	if err := a.Placement.apply(pgSpec); err != nil {
		return nil, fmt.Errorf("placement: %w", err)
	}
	sts, err := appsv1.NewStatefulSet(ctx, name+"-postgres-statefulset", &appsv1.StatefulSetArgs{
		Metadata: meta(names.postgres, labels),
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
	}, parent, pulumi.DependsOn([]pulumi.Resource{pgSecret, service}))
	if err != nil {
		return nil, err
	}

	_, err = networkingv1.NewNetworkPolicy(ctx, name+"-postgres-network-policy", &networkingv1.NetworkPolicyArgs{
		Metadata: meta(names.postgresNetworkPolicy, labels),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: labels.Selector()},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
					PodSelector: &metav1.LabelSelectorArgs{MatchLabels: b.labels.Selector()},
				}},
				Ports: networkingv1.NetworkPolicyPortArray{&networkingv1.NetworkPolicyPortArgs{
					Protocol: pulumi.String("TCP"),
					Port:     pulumi.Int(authPoolPostgresPort),
				}},
			}},
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{urlSecret, sts}, nil
}
