package components

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DefaultAgentEgressPolicyName names the agents' egress NetworkPolicy.
const DefaultAgentEgressPolicyName = "cloud-codex-agent-egress"

// EgressRule opens egress to an IP block. NetworkPolicy selects peers by IP, pod or
// namespace only: a hostname (api.example.com, registry.npmjs.org, github.com) cannot be
// expressed, so each destination is listed as the CIDRs it resolves to.
type EgressRule struct {
	// CIDR of the destination, e.g. "203.0.113.10/32". Required.
	CIDR string `json:"cidr" pulumi:"cidr"`
	// Except are CIDRs inside CIDR that stay closed (e.g. a cloud metadata endpoint,
	// "169.254.169.254/32", inside "0.0.0.0/0").
	Except []string `json:"except" pulumi:"except"`
	// Ports opened on that block. Default [443].
	Ports []int `json:"ports" pulumi:"ports"`
	// Protocol of Ports: TCP (default), UDP or SCTP.
	Protocol string `json:"protocol" pulumi:"protocol"`
}

// AgentEgressArgs configures the default-deny egress policy of the stack's agent pods. Its
// json-tagged fields are the stack config's egress key (beside egress.enabled).
type AgentEgressArgs struct {
	// Namespace of the agents. Config: the stack's namespace.
	Namespace string `json:"-" pulumi:"namespace"`
	// Name of the NetworkPolicy. Default DefaultAgentEgressPolicyName.
	Name string `json:"-" pulumi:"name"`
	// AgentSelector selects the agent pods (and their key registration Jobs). Default
	// DefaultAgentSelector().
	AgentSelector map[string]string `json:"-" pulumi:"agentSelector"`
	// LiteLLMSelector selects the auth pool's pods (LiteLLMAuthPool.PodSelector), reached on
	// LiteLLMPort. Required.
	LiteLLMSelector map[string]string `json:"-" pulumi:"litellmSelector"`
	// LiteLLMPort is LiteLLM's container port. Default AuthPoolPort.
	LiteLLMPort int `json:"-" pulumi:"litellmPort"`
	// PlatformAPI is the agent platform's API (registry.apiUrl) as CIDRs.
	PlatformAPI []EgressRule `json:"platformApi" pulumi:"platformApi"`
	// NPMRegistry is the npm registry the install step reaches (codex, runner packages,
	// runner.git's install command), as CIDRs.
	NPMRegistry []EgressRule `json:"npmRegistry" pulumi:"npmRegistry"`
	// Allow are the operator's other destinations: MCP servers, the runner.git host, a
	// node-local DNS cache outside kube-system, ...
	Allow []EgressRule `json:"allow" pulumi:"allow"`
	// SkipAwait marks the policy ready at once (API-only clusters). Config: the stack's
	// cluster.skipAwait.
	SkipAwait bool `json:"-" pulumi:"skipAwait"`
}

// Validate checks the rules; field names are relative to the stack's egress key.
func (a AgentEgressArgs) Validate() error {
	var errs []error
	for _, set := range []struct {
		field string
		rules []EgressRule
	}{{"platformApi", a.PlatformAPI}, {"npmRegistry", a.NPMRegistry}, {"allow", a.Allow}} {
		for i, r := range set.rules {
			errs = append(errs, r.validate(fmt.Sprintf("%s[%d]", set.field, i))...)
		}
	}
	return errors.Join(errs...)
}

// cloudMetadataAddrs are the instance metadata endpoints, which hand out the node's cloud
// credentials to any pod that asks: a rule that opens one must say so by leaving it out
// (except). IPv4: 169.254.169.254, AWS, GCP, Azure, OpenStack and most other clouds. IPv6,
// for a dual-stack or IPv6 cluster (a rule such as "::/0" opens them): fd00:ec2::254, AWS's
// IMDS on Nitro instances (AWS EC2 User Guide, "Instance metadata service endpoints");
// fd20:ce::254, GCE's metadata server on IPv6 (Compute Engine docs, "About VM metadata");
// fe80::a9fe:a9fe, OpenStack's since Victoria (nova admin guide, "Metadata service": "Guests
// access the service at 169.254.169.254 or at fe80::a9fe:a9fe").
var cloudMetadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("fd00:ec2::254"),
	netip.MustParseAddr("fd20:ce::254"),
	netip.MustParseAddr("fe80::a9fe:a9fe"),
}

func (r EgressRule) validate(field string) []error {
	var errs []error
	block, err := netip.ParsePrefix(r.CIDR)
	if err != nil || block.Masked() != block {
		errs = append(errs, &FieldError{field + ".cidr", fmt.Sprintf("%q", r.CIDR), `must be a CIDR with no host bits set, e.g. "203.0.113.10/32" or "10.20.0.0/16" (NetworkPolicy cannot name a hostname: list the addresses it resolves to)`})
	}
	for i, e := range r.Except {
		ex, err := netip.ParsePrefix(e)
		switch {
		case err != nil || ex.Masked() != ex:
			errs = append(errs, &FieldError{fmt.Sprintf("%s.except[%d]", field, i), fmt.Sprintf("%q", e), "must be a CIDR with no host bits set"})
		case block.IsValid() && (!block.Contains(ex.Addr()) || ex.Bits() <= block.Bits()):
			errs = append(errs, &FieldError{fmt.Sprintf("%s.except[%d]", field, i), fmt.Sprintf("%q", e), fmt.Sprintf("must be a strict subset of %s", r.CIDR)})
		}
	}
	if block.IsValid() {
		errs = append(errs, r.checkMetadata(field, block)...)
	}
	for i, p := range r.Ports {
		if p < 1 || p > 65535 {
			errs = append(errs, &FieldError{fmt.Sprintf("%s.ports[%d]", field, i), p, "must be a port number 1-65535"})
		}
	}
	if r.Protocol != "" && !slices.Contains([]string{"TCP", "UDP", "SCTP"}, r.Protocol) {
		errs = append(errs, &FieldError{field + ".protocol", fmt.Sprintf("%q", r.Protocol), `must be "TCP" (the default), "UDP" or "SCTP"`})
	}
	return errs
}

// checkMetadata refuses a rule whose block contains a cloud metadata endpoint it does not
// leave out: one error naming every such endpoint as the except entry to add, or, when the
// block is one endpoint, asking to remove the rule.
func (r EgressRule) checkMetadata(field string, block netip.Prefix) []error {
	const why = "which hands out the node's cloud credentials to any pod that asks"
	var open []string
	for _, addr := range cloudMetadataAddrs {
		if !block.Contains(addr) || slices.ContainsFunc(r.Except, func(e string) bool {
			ex, err := netip.ParsePrefix(e)
			return err == nil && ex.Contains(addr)
		}) {
			continue
		}
		if block.Bits() == addr.BitLen() {
			return []error{&FieldError{field + ".cidr", fmt.Sprintf("%q", r.CIDR), fmt.Sprintf(
				"is the cloud metadata endpoint, %s: remove this rule", why)}}
		}
		open = append(open, fmt.Sprintf("%q", netip.PrefixFrom(addr, addr.BitLen()).String()))
	}
	if len(open) == 0 {
		return nil
	}
	what, list := "the cloud metadata endpoint", open[0]
	if len(open) > 1 {
		what, list = "the cloud metadata endpoints", strings.Join(open[:len(open)-1], ", ")+" and "+open[len(open)-1]
	}
	return []error{&FieldError{field + ".except", fmt.Sprintf("%q", r.Except), fmt.Sprintf(
		"%s contains %s %s, %s: add %s to except", r.CIDR, what, strings.ReplaceAll(list, `"`, ""), why, list)}}
}

// NewAgentEgressPolicy declares the agents' default-deny egress NetworkPolicy: agent pods
// may reach only DNS (any pod of kube-system on port 53, where cluster DNS runs), the auth
// pool's LiteLLM port, and the listed CIDRs. Everything else (the internet, other
// namespaces, the Kubernetes API server, a cloud node's metadata endpoint) is refused
// wherever the cluster implements NetworkPolicy (the embedded cluster's node does:
// scripts/node.sh). Ingress is not restricted by this policy.
func NewAgentEgressPolicy(ctx *pulumi.Context, args AgentEgressArgs, opts ...pulumi.ResourceOption) (*networkingv1.NetworkPolicy, error) {
	if args.Name == "" {
		args.Name = DefaultAgentEgressPolicyName
	}
	if args.AgentSelector == nil {
		args.AgentSelector = DefaultAgentSelector()
	}
	if args.LiteLLMPort == 0 {
		args.LiteLLMPort = AuthPoolPort
	}
	if err := CheckDNSLabel("namespace", args.Namespace, 63); err != nil {
		return nil, fmt.Errorf("agent egress policy: %w", err)
	}
	if len(args.AgentSelector) == 0 || len(args.LiteLLMSelector) == 0 {
		return nil, fmt.Errorf("agent egress policy: %w", &FieldError{"selectors", "{}", "AgentSelector and LiteLLMSelector must name labels (an empty selector selects every pod)"})
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("agent egress policy: %w", err)
	}
	egress := networkingv1.NetworkPolicyEgressRuleArray{
		// Cluster DNS (CoreDNS/kube-dns run in kube-system). Both protocols: large answers
		// fall back to TCP.
		&networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
				NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{
					"kubernetes.io/metadata.name": pulumi.String("kube-system"),
				}},
			}},
			Ports: networkingv1.NetworkPolicyPortArray{
				&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("UDP"), Port: pulumi.Int(53)},
				&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(53)},
			},
		},
		// LiteLLM: the pool's pods in this namespace (policies see pod addresses, after the
		// Service's translation, so the pod port is what is opened).
		&networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(args.LiteLLMSelector)},
			}},
			Ports: networkingv1.NetworkPolicyPortArray{
				&networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(args.LiteLLMPort)},
			},
		},
	}
	for _, set := range [][]EgressRule{args.PlatformAPI, args.NPMRegistry, args.Allow} {
		for _, r := range set {
			egress = append(egress, r.rule())
		}
	}
	labels := Labels{Name: "cloud-codex-agent", Instance: args.Name, Component: "agent-egress"}
	return networkingv1.NewNetworkPolicy(ctx, args.Name, &networkingv1.NetworkPolicyArgs{
		Metadata: Meta(args.Name, args.Namespace, labels, args.SkipAwait),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(args.AgentSelector)},
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress:      egress,
		},
	}, opts...)
}

// WithDefaults returns the rule with its defaults filled in: TCP, port 443.
func (r EgressRule) WithDefaults() EgressRule {
	if r.Protocol == "" {
		r.Protocol = "TCP"
	}
	if len(r.Ports) == 0 {
		r.Ports = []int{443}
	}
	return r
}

func (r EgressRule) rule() *networkingv1.NetworkPolicyEgressRuleArgs {
	r = r.WithDefaults()
	var np networkingv1.NetworkPolicyPortArray
	for _, p := range r.Ports {
		np = append(np, &networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String(r.Protocol), Port: pulumi.Int(p)})
	}
	block := &networkingv1.IPBlockArgs{Cidr: pulumi.String(r.CIDR)}
	if len(r.Except) > 0 {
		block.Except = pulumi.ToStringArray(r.Except)
	}
	return &networkingv1.NetworkPolicyEgressRuleArgs{
		To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{IpBlock: block}},
		Ports: np,
	}
}
