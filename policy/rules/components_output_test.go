package rules

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"go.yaml.in/yaml/v3"

	"cloud-codex/components"
	"cloud-codex/config"
	"cloud-codex/contract"
)

// The facts the pack reads from the components' output beyond the names in contract/: the
// dev stack, declared with the real components (main.go's wiring, from Pulumi.dev.yaml)
// under Pulumi's mocks, has one auth holder, a database beside it, the pool's Secrets read
// under the env names the pack expects, and key-registration Jobs. That the real program
// passes every rule is the root package's TestProgramPassesThePolicyPack.

// componentsMonitor records registrations as the rules' Resources.
type componentsMonitor struct {
	mu  sync.Mutex
	all []*Resource
}

func (m *componentsMonitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := &Resource{Type: args.TypeToken, Props: plainMap(resource.FromResourcePropertyMap(args.Inputs))}
	parentType := tokens.Type("")
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Dependencies = append(r.Dependencies, rpc.GetDependencies()...)
		for _, deps := range rpc.GetPropertyDependencies() {
			r.Dependencies = append(r.Dependencies, deps.GetUrns()...)
		}
		if p, err := urn.Parse(r.Parent); err == nil && p.Type() != "pulumi:pulumi:Stack" {
			parentType = p.QualifiedType()
		}
	}
	r.URN = string(urn.New("dev", "cloud-codex", parentType, tokens.Type(args.TypeToken), args.Name))
	m.mu.Lock()
	m.all = append(m.all, r)
	m.mu.Unlock()
	outputs := args.Inputs.Copy()
	if args.TypeToken == "random:index/randomPassword:RandomPassword" {
		outputs["result"] = resource.MakeSecret(resource.NewStringProperty("AbCdEf0123456789AbCdEf0123456789AbCdEf0123456789"))
	}
	return args.Name + "-id", outputs, nil
}

func (m *componentsMonitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// devStackConfig reads ../../Pulumi.dev.yaml into the engine's form.
func devStackConfig(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range file.Config {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(b)
	}
	return out
}

// componentsStack declares the stack the way main.go wires the components.
func componentsStack(t *testing.T, cfg map[string]string) *Stack {
	t.Helper()
	env, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(env))
	t.Setenv("KUBECONFIG", "")
	mon := &componentsMonitor{}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		stack, err := config.Load(config.FromContext(ctx))
		if err != nil {
			return err
		}
		ps := stack.Cluster.PodSecurity
		ns, err := components.NewNamespace(ctx, stack.Namespace,
			components.PodSecurityLevels{Enforce: ps.Enforce, Warn: ps.Warn, Audit: ps.Audit}, stack.SkipAwait())
		if err != nil {
			return err
		}
		in := pulumi.DependsOn([]pulumi.Resource{ns})
		pool, err := components.NewLiteLLMAuthPool(ctx, "litellm", stack.PoolArgs(), in)
		if err != nil {
			return err
		}
		wiring := config.AgentWiring{
			BaseURL:         pool.BaseURL,
			MasterKeySecret: components.SecretKeyInput{Name: pool.MasterKeySecretName, Key: pool.MasterKeySecretKey},
		}
		if args, ok := stack.KeyRegistrarArgs(); ok {
			registrar, err := components.NewLiteLLMKeyRegistrar(ctx, "key-registrar", args, in)
			if err != nil {
				return err
			}
			wiring.RegistrarSource = registrar.SourceConfigMapName
		}
		if len(stack.Agents) > 0 {
			scripts, err := components.NewCloudCodexAgentScripts(ctx, "agent-scripts", stack.AgentScriptsArgs(), in)
			if err != nil {
				return err
			}
			wiring.Scripts = scripts.ConfigMapName
		}
		for i, a := range stack.Agents {
			if _, err := components.NewCloudCodexAgent(ctx, a.Name, stack.WiredAgentArgs(i, wiring), in); err != nil {
				return err
			}
		}
		return nil
	}, pulumi.WithMocks("cloud-codex", "dev", mon), func(info *pulumi.RunInfo) { info.Config = cfg })
	if err != nil {
		t.Fatalf("declaring the stack: %v", err)
	}
	return NewStack(mon.all)
}

// The facts the pack reads from the components' output: if the component changes them,
// these fail and auth_storage.go's constants must follow.
func TestComponentsOutputFactsThePackReads(t *testing.T) {
	s := componentsStack(t, devStackConfig(t))
	auth := s.authPVCs()
	if len(auth) != 1 {
		t.Fatalf("auth PVCs: %d, want 1", len(auth))
	}
	claim := auth[0]
	if !strings.HasSuffix(claim.Key.Name, contract.AuthClaimSuffix) {
		t.Errorf("the auth claim %q does not end with contract.AuthClaimSuffix %q", claim.Key.Name, contract.AuthClaimSuffix)
	}
	if l := s.metaOf(claim.Res).Labels; l[contract.LabelName] != contract.AuthPoolLabelName || l[contract.LabelComponent] != contract.AuthPoolLabelComponent {
		t.Errorf("the auth claim's labels %v; auth_storage.go expects %s=%s, %s=%s", l, contract.LabelName, contract.AuthPoolLabelName, contract.LabelComponent, contract.AuthPoolLabelComponent)
	}
	if !isRWO(claim.AccessModes) {
		t.Errorf("the auth claim's access modes %v", claim.AccessModes)
	}
	holders := s.authHolders()
	if len(holders) != 1 || holders[0].W.Kind != "Deployment" {
		t.Fatalf("holders: %v", holders)
	}
	// The pool's database StatefulSet is a workload of the pool but not its holder.
	var poolWorkloads int
	for _, sw := range s.workloads() {
		if sw.Role == RoleAuthPool {
			poolWorkloads++
		}
	}
	if poolWorkloads < 2 {
		t.Errorf("the dev pool has %d workloads; the database StatefulSet is expected next to the holder", poolWorkloads)
	}
	// The holder's secrets are found by their env names.
	found := map[string]bool{}
	for _, p := range s.poolSecrets() {
		if p.Holder {
			found[p.What] = true
		}
	}
	for _, what := range poolSecretEnv {
		if !found[what] {
			t.Errorf("the holder does not read %s under the env name the pack expects (found %v)", what, found)
		}
	}
	// Every agent's key-registration Job reads the master key and is allowed to.
	jobs := 0
	for _, sw := range s.workloads() {
		if sw.Role == RoleAgent && sw.W.Kind == "Job" {
			jobs++
		}
	}
	if jobs == 0 {
		t.Errorf("no key-registration Job in the dev stack: the master-key exception is not exercised")
	}
}
