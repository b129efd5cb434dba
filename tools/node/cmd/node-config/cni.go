package main

import (
	"encoding/json"
	"path/filepath"
)

// The node's one pod network: a Linux bridge with host-local addresses, the bridge as the
// pods' gateway, and masquerading to the outside so pods reach what the host reaches (the
// npm registry) with the host's address. Plugin fields as documented by
// containernetworking/plugins (plugins/main/bridge, plugins/ipam/host-local, plugins/meta/portmap).
type cniConfList struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`
	Plugins    []any  `json:"plugins"`
}

type cniBridge struct {
	Type        string  `json:"type"`
	Bridge      string  `json:"bridge"`
	IsGateway   bool    `json:"isGateway"`
	IPMasq      bool    `json:"ipMasq"`
	HairpinMode bool    `json:"hairpinMode"`
	IPAM        cniIPAM `json:"ipam"`
}

type cniIPAM struct {
	Type    string       `json:"type"`
	Ranges  [][]cniRange `json:"ranges"`
	Routes  []cniRoute   `json:"routes"`
	DataDir string       `json:"dataDir"`
}

type cniRange struct {
	Subnet string `json:"subnet"`
}

type cniRoute struct {
	Dst string `json:"dst"`
}

type cniPortmap struct {
	Type         string          `json:"type"`
	Capabilities map[string]bool `json:"capabilities"`
}

func cniConfig(s settings) ([]byte, error) {
	c := cniConfList{
		CNIVersion: "1.0.0",
		Name:       "cloud-codex",
		Plugins: []any{
			cniBridge{
				Type: "bridge", Bridge: s.bridge, IsGateway: true, IPMasq: true, HairpinMode: true,
				IPAM: cniIPAM{
					Type:    "host-local",
					Ranges:  [][]cniRange{{{Subnet: s.podCIDR}}},
					Routes:  []cniRoute{{Dst: "0.0.0.0/0"}},
					DataDir: filepath.Join(s.stateDir, "cni-ipam"),
				},
			},
			cniPortmap{Type: "portmap", Capabilities: map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(c, "", "  ")
}
