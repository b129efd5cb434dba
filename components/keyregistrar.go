package components

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/contract"
)

// DefaultKeyRegistrarName names the registrar's source ConfigMap (<name>-src).
const DefaultKeyRegistrarName = "cloud-codex-key-registrar"

// LiteLLMKeyRegistrar ships the source of the LiteLLM key registrar (package
// cloud-codex/keyregistrar) in one ConfigMap per stack. Every agent whose LiteLLM key is
// managed by Pulumi runs a Job that compiles it from there and registers the agent's key
// (see docs/virtual-keys.md).
type LiteLLMKeyRegistrar struct {
	pulumi.ResourceState

	// SourceConfigMapName is the ConfigMap holding the source: pass it to the agents as
	// AgentLiteLLMArgs.RegistrarSource (it carries the dependency on the ConfigMap).
	SourceConfigMapName pulumi.StringOutput
}

// LiteLLMKeyRegistrarArgs configures the registrar's source ConfigMap.
type LiteLLMKeyRegistrarArgs struct {
	// Namespace of the agents (it must exist).
	Namespace string `pulumi:"namespace"`
	// Name prefix of the ConfigMap. Default DefaultKeyRegistrarName.
	Name string `pulumi:"name"`
	// SkipAwait marks the ConfigMap ready at once (API-only clusters).
	SkipAwait bool `pulumi:"skipAwait"`
}

// keyRegistrarLabels labels the source ConfigMap.
func keyRegistrarLabels(name string) Labels {
	return Labels{Name: "cloud-codex-key-registrar", Instance: name, Component: "key-registrar"}
}

// NewLiteLLMKeyRegistrar declares the registrar's source ConfigMap.
func NewLiteLLMKeyRegistrar(ctx *pulumi.Context, name string, args LiteLLMKeyRegistrarArgs, opts ...pulumi.ResourceOption) (*LiteLLMKeyRegistrar, error) {
	if args.Name == "" {
		args.Name = DefaultKeyRegistrarName
	}
	if err := CheckDNSLabel("namespace", args.Namespace, 63); err != nil {
		return nil, fmt.Errorf("LiteLLMKeyRegistrar %q: %w", name, err)
	}
	if err := CheckDNSLabel("name", args.Name, 50); err != nil {
		return nil, fmt.Errorf("LiteLLMKeyRegistrar %q: %w", name, err)
	}
	r := &LiteLLMKeyRegistrar{}
	if err := ctx.RegisterComponentResource(contract.LiteLLMKeyRegistrarType, name, r, opts...); err != nil {
		return nil, err
	}
	cmName := KeyRegistrarSourceName(args.Name)
	cm, err := corev1.NewConfigMap(ctx, name+"-source", &corev1.ConfigMapArgs{
		Metadata: Meta(cmName, args.Namespace, keyRegistrarLabels(args.Name), args.SkipAwait),
		Data:     shippedSourceData(keyRegistrarSourceFiles()),
	}, renamedChild(pulumi.Parent(r), name+"-source", cmName))
	if err != nil {
		return nil, fmt.Errorf("LiteLLMKeyRegistrar %q: source ConfigMap: %w", name, err)
	}
	r.SourceConfigMapName = cm.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{"sourceConfigMapName": r.SourceConfigMapName}); err != nil {
		return nil, err
	}
	return r, nil
}

// KeyRegistrarSourceName is the name of the registrar's source ConfigMap.
func KeyRegistrarSourceName(name string) string { return name + "-src" }
