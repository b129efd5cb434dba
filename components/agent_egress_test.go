package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

const testNetpolType = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

func runEgress(t *testing.T, args AgentEgressArgs) (*mockMonitor, error) {
	t.Helper()
	return runUnderMocks(func(ctx *pulumi.Context) error {
		_, err := NewAgentEgressPolicy(ctx, args)
		return err
	})
}

func TestAgentEgressIsDefaultDenyWithTheOpeningsAnAgentNeeds(t *testing.T) {
	pool := map[string]string{"app.kubernetes.io/name": "litellm", "app.kubernetes.io/instance": "litellm"}
	mocks, err := runEgress(t, AgentEgressArgs{
		Namespace:       "agents",
		LiteLLMSelector: pool,
		PlatformAPI:     []EgressRule{{CIDR: "203.0.113.10/32"}},
		NPMRegistry:     []EgressRule{{CIDR: "104.16.0.0/12", Ports: []int{443}}},
		Allow:           []EgressRule{{CIDR: "0.0.0.0/0", Except: []string{"169.254.169.254/32"}, Ports: []int{8443, 9000}}},
	})
	require.NoError(t, err)
	np := mocks.k8s(t, testNetpolType, DefaultAgentEgressPolicyName)
	spec := at(t, np.Plain, "spec")
	require.Equal(t, []any{"Egress"}, at(t, spec, "policyTypes"), "egress only: ingress is LiteLLM's own policy's business")
	require.Equal(t, map[string]any{"app.kubernetes.io/part-of": "cloud-codex", "app.kubernetes.io/component": "agent"},
		at(t, spec, "podSelector", "matchLabels"), "agent pods and their key Jobs")
	require.Equal(t, []any{
		map[string]any{
			"to":    []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "kube-system"}}}},
			"ports": []any{map[string]any{"protocol": "UDP", "port": float64(53)}, map[string]any{"protocol": "TCP", "port": float64(53)}},
		},
		map[string]any{
			"to":    []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "litellm", "app.kubernetes.io/instance": "litellm"}}}},
			"ports": []any{map[string]any{"protocol": "TCP", "port": float64(AuthPoolPort)}},
		},
		map[string]any{
			"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": "203.0.113.10/32"}}},
			"ports": []any{map[string]any{"protocol": "TCP", "port": float64(443)}},
		},
		map[string]any{
			"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": "104.16.0.0/12"}}},
			"ports": []any{map[string]any{"protocol": "TCP", "port": float64(443)}},
		},
		map[string]any{
			"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/0", "except": []any{"169.254.169.254/32"}}}},
			"ports": []any{map[string]any{"protocol": "TCP", "port": float64(8443)}, map[string]any{"protocol": "TCP", "port": float64(9000)}},
		},
	}, at(t, spec, "egress"))
}

func TestAgentEgressWithNothingListedStillReachesDNSAndLiteLLM(t *testing.T) {
	mocks, err := runEgress(t, AgentEgressArgs{Namespace: "agents", LiteLLMSelector: map[string]string{"app.kubernetes.io/name": "litellm"}})
	require.NoError(t, err)
	require.Len(t, at(t, mocks.k8s(t, testNetpolType, DefaultAgentEgressPolicyName).Plain, "spec", "egress"), 2)
}

func TestAgentEgressRulesAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  AgentEgressArgs
		field string
	}{
		{"hostname", AgentEgressArgs{PlatformAPI: []EgressRule{{CIDR: "api.example.com"}}}, "platformApi[0].cidr"},
		{"host bits", AgentEgressArgs{NPMRegistry: []EgressRule{{CIDR: "10.0.0.1/8"}}}, "npmRegistry[0].cidr"},
		{"except outside", AgentEgressArgs{Allow: []EgressRule{{CIDR: "10.0.0.0/8", Except: []string{"192.168.0.0/16"}}}}, "allow[0].except[0]"},
		{"port", AgentEgressArgs{Allow: []EgressRule{{CIDR: "10.0.0.0/8", Ports: []int{0}}}}, "allow[0].ports[0]"},
		{"protocol", AgentEgressArgs{Allow: []EgressRule{{CIDR: "10.0.0.0/8", Protocol: "HTTP"}}}, "allow[0].protocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.args.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.field+":")
			tc.args.Namespace, tc.args.LiteLLMSelector = "agents", map[string]string{"a": "b"}
			mocks, err := runEgress(t, tc.args)
			require.Error(t, err)
			require.Empty(t, mocks.resources())
		})
	}
	_, err := runEgress(t, AgentEgressArgs{Namespace: "agents"})
	require.ErrorContains(t, err, "LiteLLMSelector", "an empty selector would select every pod")
}

// Every cloud metadata endpoint a rule's block contains, IPv4 and IPv6, must be left out.
func TestAgentEgressKeepsEveryMetadataEndpointClosed(t *testing.T) {
	for _, tc := range []struct {
		rule       EgressRule
		field, msg string
	}{
		{EgressRule{CIDR: "0.0.0.0/0"}, "allow[0].except", `add "169.254.169.254/32" to except`},
		{EgressRule{CIDR: "::/0"}, "allow[0].except", `add "fd00:ec2::254/128", "fd20:ce::254/128" and "fe80::a9fe:a9fe/128" to except`},
		{EgressRule{CIDR: "fd00::/8", Except: []string{"fd00:ec2::/32"}}, "allow[0].except", `contains the cloud metadata endpoint fd20:ce::254/128`},
		{EgressRule{CIDR: "fd00::/8"}, "allow[0].except", `contains the cloud metadata endpoints fd00:ec2::254/128 and fd20:ce::254/128`},
		{EgressRule{CIDR: "fd00:ec2::/32", Except: []string{"fd00:ec2::254/128"}}, "", ""},
		{EgressRule{CIDR: "::/0", Except: []string{"fd00:ec2::/32", "fe80::/10"}}, "allow[0].except", `add "fd20:ce::254/128" to except`},
		{EgressRule{CIDR: "fe80::/10", Ports: []int{80}}, "allow[0].except", `"fe80::a9fe:a9fe/128"`},
		{EgressRule{CIDR: "fd00:ec2::254/128", Ports: []int{80}}, "allow[0].cidr", "remove this rule"},
		{EgressRule{CIDR: "::/0", Except: []string{"fd00:ec2::254/128", "fd20:ce::254/128", "fe80::a9fe:a9fe/128"}}, "", ""},
		{EgressRule{CIDR: "2000::/3"}, "", ""}, // the IPv6 internet holds none of them
	} {
		err := AgentEgressArgs{Allow: []EgressRule{tc.rule}}.Validate()
		if tc.field == "" {
			require.NoError(t, err, tc.rule.CIDR)
			continue
		}
		require.ErrorContains(t, err, tc.field+": invalid value", tc.rule.CIDR)
		require.ErrorContains(t, err, tc.msg, tc.rule.CIDR)
		require.Len(t, authPoolUnjoin(err), 1, "one error per rule: %s", err)
	}
}
