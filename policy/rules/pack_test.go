package rules

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"cloud-codex/contract"
)

// serveEnv makes the test binary act as a policy pack executable serving Policies(), so
// the rules can be driven over the analyzer gRPC protocol without building the pack. The
// pack binary's own name and version are policy/main_test.go's concern.
const serveEnv = "CLOUD_CODEX_POLICY_TEST_SERVE"

const (
	testPackName    = "cloud-codex-policy-test"
	testPackVersion = "0.0.1"
)

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		err := policyx.Main(func(*pulumi.Context) (policyx.PolicyPack, error) {
			return policyx.NewPolicyPack(testPackName, semver.MustParse(testPackVersion), policyx.EnforcementLevelMandatory, Policies())
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// ruleNames are the exact rule names (docs, e2e tests and --policy-pack-config use them).
var ruleNames = []string{
	"no-codex-credentials-outside-auth-pool",
	"one-auth-holder",
	"rwo-volume-recreate-single-replica",
	"agents-route-through-litellm",
	"no-credentials-in-configmaps",
	"agent-identity",
	"litellm-api-key-from-secret",
	"agent-model-in-key-allowlist",
	"litellm-pool-secrets-only-in-pool",
	"single-writer-not-scaled-from-outside",
}

func TestEveryRuleMandatory(t *testing.T) {
	var names []string
	for _, p := range Policies() {
		names = append(names, p.Name())
		if p.EnforcementLevel() != policyx.EnforcementLevelMandatory {
			t.Errorf("%s: enforcement level %v, want mandatory", p.Name(), p.EnforcementLevel())
		}
		if strings.TrimSpace(p.Description()) == "" {
			t.Errorf("%s: no description", p.Name())
		}
		_, resource := p.(policyx.ResourceValidationPolicy)
		_, stack := p.(policyx.StackValidationPolicy)
		if resource == stack {
			t.Errorf("%s: resource policy %v, stack policy %v", p.Name(), resource, stack)
		}
		if stack && p.ConfigSchema() != nil {
			t.Errorf("%s: stack policies receive no config properties from policyx; drop the schema", p.Name())
		}
	}
	if !slices.Equal(names, ruleNames) {
		t.Fatalf("rules %q, want %q", names, ruleNames)
	}
}

func TestConfigSchemaDefaultsAreValid(t *testing.T) {
	// The CLI fills in schema defaults before validating; our own readers must accept them.
	for _, p := range Policies() {
		s := p.ConfigSchema()
		if s == nil {
			continue
		}
		cfg := map[string]any{}
		for k, prop := range s.Properties {
			if prop["type"] == nil || prop["description"] == nil {
				t.Errorf("%s.%s: schema needs a type and a description", p.Name(), k)
			}
			cfg[k] = prop["default"]
		}
		rp := p.(policyx.ResourceValidationPolicy)
		err := rp.Validate(context.Background(), policyx.ResourceValidationArgs{
			Manager: &recorder{}, Config: cfg,
			Resource: toAnalyzer(t, configMapRes(nil, "", "c", map[string]string{"a": "b"}), nil),
		})
		if err != nil {
			t.Errorf("%s: defaults rejected: %v", p.Name(), err)
		}
	}
}

func TestDevStackPassesTheWholePackThroughPropertyMaps(t *testing.T) {
	// Every resource goes through the engine's property representation, with secret
	// data, specs and annotations, as the CLI sends them.
	resources := stackToAnalyzer(t, devStack(t), secretPaths{"data": true, "spec": true})
	rec := runPack(t, resources)
	if len(rec) != 0 {
		t.Fatalf("dev stack: %v", rec)
	}
}

func TestViolationsThroughPropertyMaps(t *testing.T) {
	intruder := workloadRes(t, "CronJob", "litellm", nil, "", `
containers:
- name: app
  image: busybox
  env: [{name: LITELLM_API_KEY, value: sk-literal-value}]
  volumeMounts: [{name: v, mountPath: /data}]
volumes:
- {name: v, persistentVolumeClaim: {claimName: litellm-chatgpt-auth}}
`)
	leaky := configMapRes(nil, "", "leaky", map[string]string{"token": testJWT()})
	s := mutate(t, devStack(t, intruder, leaky), bobDeployURN, setEnv(contract.InstanceIDEnv, map[string]any{"value": "alice"}))
	got := runPack(t, stackToAnalyzer(t, s, secretPaths{"data": true, "spec": true}))
	want := map[string][]string{
		"no-codex-credentials-outside-auth-pool": {intruder.URN},
		"one-auth-holder":                        {intruder.URN, poolDeployURN},
		"agent-identity":                         {aliceDeployURN, bobDeployURN},
		"litellm-api-key-from-secret":            {intruder.URN},
		"no-credentials-in-configmaps":           {leaky.URN},
		// a CronJob whose runs may overlap, on a claim the pool's holder already mounts
		"rwo-volume-recreate-single-replica": {intruder.URN},
	}
	for rule, urns := range want {
		slices.Sort(urns)
		g := slices.Clone(got[rule])
		slices.Sort(g)
		g = slices.Compact(g)
		if !slices.Equal(g, urns) {
			t.Errorf("%s: violations on %q, want %q", rule, g, urns)
		}
	}
	for rule := range got {
		if _, ok := want[rule]; !ok {
			t.Errorf("unexpected violations of %s on %q", rule, got[rule])
		}
	}
}

// runPack runs every rule of the pack over the resources (Evaluate), returning the
// violated URNs by rule.
func runPack(t *testing.T, resources []policyx.AnalyzerResource) map[string][]string {
	t.Helper()
	vs, err := Evaluate(context.Background(), resources)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for rule, rvs := range vs {
		for _, v := range rvs {
			out[rule] = append(out[rule], v.URN)
		}
	}
	return out
}

// packClient starts this test binary as the policy pack and connects to it as the CLI does.
func packClient(t *testing.T) pulumirpc.AnalyzerClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	var p string
	select {
	case p = <-port:
	case <-time.After(30 * time.Second):
		t.Fatal("the pack did not print its port")
	}
	conn, err := grpc.NewClient("127.0.0.1:"+p, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := pulumirpc.NewAnalyzerClient(conn)
	dir := "."
	if _, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{RootDirectory: &dir, ProgramDirectory: &dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "dev", Project: "cloud-codex"}); err != nil {
		t.Fatal(err)
	}
	return client
}

// policyConfigFile reads a --policy-pack-config file the way the CLI maps it onto the
// analyzer protocol: a string is an enforcement level, an object holds enforcementLevel and
// the rule's properties. Unknown levels are an error here too.
func policyConfigFile(t *testing.T, path string) (map[string]*pulumirpc.PolicyConfig, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	levels := map[string]pulumirpc.EnforcementLevel{
		"advisory": pulumirpc.EnforcementLevel_ADVISORY, "mandatory": pulumirpc.EnforcementLevel_MANDATORY,
		"disabled": pulumirpc.EnforcementLevel_DISABLED, "remediate": pulumirpc.EnforcementLevel_REMEDIATE,
	}
	out := map[string]*pulumirpc.PolicyConfig{}
	for name, v := range raw {
		if !slices.Contains(ruleNames, name) {
			t.Errorf("%s names unknown rule %q", path, name)
		}
		level, props := "mandatory", map[string]any{}
		switch v := v.(type) {
		case string:
			level = v
		case map[string]any:
			if l, ok := v["enforcementLevel"].(string); ok {
				level = l
			}
			for k, p := range v {
				if k != "enforcementLevel" {
					props[k] = p
				}
			}
		}
		el, ok := levels[level]
		if !ok {
			return nil, fmt.Errorf("%s: %q is not a valid enforcement level for %q", path, level, name)
		}
		s, err := structpb.NewStruct(props)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = &pulumirpc.PolicyConfig{EnforcementLevel: el, Properties: s}
	}
	return out, nil
}

func toStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(yamlMap(t, mustJSON(t, m)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func analyzerResources(t *testing.T, s *Stack) []*pulumirpc.AnalyzerResource {
	var out []*pulumirpc.AnalyzerResource
	for _, r := range s.Resources {
		out = append(out, &pulumirpc.AnalyzerResource{
			Type: r.Type, Urn: r.URN, Name: r.Name(), Parent: r.Parent, Properties: toStruct(t, r.Props),
			Options: &pulumirpc.AnalyzerResourceOptions{Parent: r.Parent},
		})
	}
	return out
}

func TestPackOverTheAnalyzerProtocol(t *testing.T) {
	client := packClient(t)
	ctx := context.Background()

	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != testPackName || info.GetVersion() != testPackVersion || !info.GetSupportsConfig() {
		t.Fatalf("analyzer info: %v", info)
	}
	for _, p := range info.GetPolicies() {
		if p.GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY {
			t.Errorf("%s: advertised level %v", p.GetName(), p.GetEnforcementLevel())
		}
	}

	intruder := workloadRes(t, "Deployment", "intruder", nil, "", `
containers:
- name: app
  image: busybox
  env: [{name: LITELLM_API_KEY, value: sk-literal-value}, {name: LITELLM_MASTER_KEY, value: sk-master-value}]
  command: [codex, login]
`)
	stack := mutate(t, devStack(t, intruder), bobDeployURN, setEnv(contract.InstanceIDEnv, map[string]any{"value": "alice"}))
	stack = mutate(t, stack, aliceDeployURN, annotate(contract.ModelAllowlistAnnotation, `["nothing"]`))

	analyze := func() map[string][]*pulumirpc.AnalyzeDiagnostic {
		t.Helper()
		byRule := map[string][]*pulumirpc.AnalyzeDiagnostic{}
		resp, err := client.Analyze(ctx, &pulumirpc.AnalyzeRequest{
			Type: intruder.Type, Urn: intruder.URN, Name: intruder.Name(), Properties: toStruct(t, intruder.Props),
		})
		if err != nil {
			t.Fatal(err)
		}
		stackResp, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: analyzerResources(t, stack)})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range append(resp.GetDiagnostics(), stackResp.GetDiagnostics()...) {
			byRule[d.GetPolicyName()] = append(byRule[d.GetPolicyName()], d)
		}
		return byRule
	}

	// Without config every violation is mandatory, and names the rule and the resource.
	for rule, ds := range analyze() {
		for _, d := range ds {
			if d.GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY || d.GetPolicyPackName() != testPackName {
				t.Errorf("%s: %v", rule, d)
			}
		}
	}
	before := analyze()
	for _, rule := range []string{RuleNoCodexCredentials, RuleLiteLLMAPIKeyFromSecret, RuleAgentIdentity, RuleAgentModelInKeyAllowlist} {
		if len(before[rule]) == 0 {
			t.Errorf("%s: no violation before config", rule)
		}
	}
	if d := before[RuleNoCodexCredentials][0]; d.GetUrn() != intruder.URN || !strings.Contains(d.GetMessage(), "runs `codex login`") {
		t.Errorf("rule 1 diagnostic: %v", d)
	}

	// The advisory config file lowers two rules, adds a property and disables one.
	conf, err := policyConfigFile(t, "../testdata/policy-config.advisory.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: conf}); err != nil {
		t.Fatal(err)
	}
	after := analyze()
	for _, d := range after[RuleNoCodexCredentials] {
		if d.GetEnforcementLevel() != pulumirpc.EnforcementLevel_ADVISORY {
			t.Errorf("%s stack rule: level %v after config, want advisory", RuleNoCodexCredentials, d.GetEnforcementLevel())
		}
	}
	if ds := after[RuleLiteLLMAPIKeyFromSecret]; len(ds) != 1 || ds[0].GetEnforcementLevel() != pulumirpc.EnforcementLevel_ADVISORY ||
		!strings.Contains(ds[0].GetMessage(), "LITELLM_MASTER_KEY as a literal") {
		t.Errorf("%s resource rule after config: %v", RuleLiteLLMAPIKeyFromSecret, ds)
	}
	if ds := after[RuleAgentModelInKeyAllowlist]; len(ds) != 0 {
		t.Errorf("%s is disabled but reported %v", RuleAgentModelInKeyAllowlist, ds)
	}
	for _, d := range after[RuleAgentIdentity] {
		if d.GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY {
			t.Errorf("%s: not configured, but level %v", RuleAgentIdentity, d.GetEnforcementLevel())
		}
	}

	// An invalid property value (which the CLI's schema validation rejects first) makes the
	// rule fail with a message naming the rule, the key and the problem.
	conf, err = policyConfigFile(t, "../testdata/policy-config.invalid-value.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: conf}); err != nil {
		t.Fatal(err)
	}
	cm := configMapRes(nil, "", "c", map[string]string{"k": "v"})
	_, err = client.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: cm.Type, Urn: cm.URN, Name: cm.Name(), Properties: toStruct(t, cm.Props)})
	if err == nil || !strings.Contains(err.Error(),
		`invalid --policy-pack-config for policy "no-credentials-in-configmaps": "extraPatterns" item 0 ("(") is not a valid regular expression`) {
		t.Errorf("invalid extraPatterns: %v", err)
	}

	// An invalid enforcement level (testdata/policy-config.invalid-level.json) never reaches
	// the pack: the CLI rejects the file while parsing it. That is for the CLI e2e test.
}

func TestSchemasDescribeTheInvalidValueFile(t *testing.T) {
	// The CLI validates properties against each rule's JSON schema (gojsonschema) before
	// the pack runs. Check that the schema is the one that rejects our invalid sample: an
	// items.format "regex" on extraPatterns.
	for _, p := range Policies() {
		if p.Name() != RuleNoCredentialsInConfigMaps {
			continue
		}
		items, _ := p.ConfigSchema().Properties[configExtraPatterns]["items"].(map[string]any)
		if items["type"] != "string" || items["format"] != "regex" {
			t.Fatalf("extraPatterns schema: %v", p.ConfigSchema().Properties)
		}
		return
	}
	t.Fatal("rule not found")
}
