package main

import (
	"fmt"
	"strings"
)

// corefile renders CoreDNS's configuration. The Corefile is CoreDNS's own Caddy-style
// format (no library renders it), so it is built from this typed block list and every
// value is checked to be a single token: no value can open a block or add a directive.
func corefile(s settings) ([]byte, error) {
	server := block{head: []string{".:53"}, body: []directive{
		{name: "bind", args: []string{s.nodeIP}},
		{name: "errors"},
		{name: "health", args: []string{fmt.Sprintf("127.0.0.1:%d", s.dnsHealth)}},
		{name: "ready", args: []string{fmt.Sprintf("127.0.0.1:%d", s.dnsReady)}},
		{name: "kubernetes", args: []string{s.clusterDomain, "in-addr.arpa", "ip6.arpa"}, sub: []directive{
			{name: "kubeconfig", args: []string{s.kubeconfig}},
			{name: "pods", args: []string{"insecure"}},
			{name: "fallthrough", args: []string{"in-addr.arpa", "ip6.arpa"}},
		}},
		{name: "forward", args: []string{".", s.upstreamDNS}},
		{name: "cache", args: []string{"30"}},
		{name: "loadbalance"},
	}}
	return server.render()
}

type block struct {
	head []string
	body []directive
}

type directive struct {
	name string
	args []string
	sub  []directive
}

func (b block) render() ([]byte, error) {
	var sb strings.Builder
	if err := writeTokens(&sb, "", b.head); err != nil {
		return nil, err
	}
	sb.WriteString(" {\n")
	if err := writeDirectives(&sb, "    ", b.body); err != nil {
		return nil, err
	}
	sb.WriteString("}\n")
	return []byte(sb.String()), nil
}

func writeDirectives(sb *strings.Builder, indent string, ds []directive) error {
	for _, d := range ds {
		if err := writeTokens(sb, indent, append([]string{d.name}, d.args...)); err != nil {
			return err
		}
		if len(d.sub) > 0 {
			sb.WriteString(" {\n")
			if err := writeDirectives(sb, indent+"    ", d.sub); err != nil {
				return err
			}
			sb.WriteString(indent + "}")
		}
		sb.WriteString("\n")
	}
	return nil
}

func writeTokens(sb *strings.Builder, indent string, tokens []string) error {
	sb.WriteString(indent)
	for i, t := range tokens {
		if t == "" || strings.ContainsAny(t, " \t\r\n{}#\"'`") {
			return fmt.Errorf("corefile: %q is not a single Corefile token", t)
		}
		if i > 0 {
			sb.WriteString(" ")
		}
		sb.WriteString(t)
	}
	return nil
}
