package main

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	componentbase "k8s.io/component-base/config/v1alpha1"
	kubeproxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	"sigs.k8s.io/yaml"
)

func kubeProxyConfig(s settings) ([]byte, error) {
	zero := int32(0)
	c := kubeproxyv1alpha1.KubeProxyConfiguration{
		TypeMeta: metav1.TypeMeta{APIVersion: "kubeproxy.config.k8s.io/v1alpha1", Kind: "KubeProxyConfiguration"},
		ClientConnection: componentbase.ClientConnectionConfiguration{
			Kubeconfig: s.kubeconfig,
		},
		HostnameOverride:   s.nodeName,
		BindAddress:        s.nodeIP,
		HealthzBindAddress: fmt.Sprintf("127.0.0.1:%d", s.proxyHealthz),
		MetricsBindAddress: fmt.Sprintf("127.0.0.1:%d", s.proxyMetrics),
		Mode:               "iptables",
		ClusterCIDR:        s.podCIDR,
		// kube-proxy would raise the machine-wide conntrack table size; leave the host's.
		Conntrack: kubeproxyv1alpha1.KubeProxyConntrackConfiguration{MaxPerCore: &zero, Min: &zero},
		// NodePorts only on the node's own address, never on the machine's real interfaces.
		NodePortAddresses: []string{s.nodeIP + "/32"},
	}
	return yaml.Marshal(c)
}
