package components

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckCredentialURL(t *testing.T) {
	for v, ok := range map[string]bool{
		"https://auth.openai.com/oauth/token":          true,
		"https://203.0.113.7/v1":                       true,
		"http://10.200.0.1:8080/oauth/token":           true, // private
		"http://192.168.1.5/v1":                        true,
		"http://[fd00::1]:8080/":                       true, // unique local
		"http://127.0.0.1:4000":                        true,
		"http://localhost:4000":                        true,
		"http://litellm.agents.svc.cluster.local:4000": true,
		"http://gateway.egress.svc:8080":               true,
		"http://GATEWAY.EGRESS.SVC.CLUSTER.LOCAL.:80":  true,
		"http://auth.openai.com/oauth/token":           false,
		"http://203.0.113.7/v1":                        false, // public address
		"http://169.254.169.254/latest":                false, // link-local: the metadata endpoint
		"http://100.64.0.1/":                           false, // shared address space: not this cluster's
		"http://svc.cluster.local.example.com/":        false,
		"http://[2001:db8::1]/":                        false,
		"http://api.example.com.svc.evil.example/":     false,
		"ftp://10.0.0.1/":                              false,
		"https://user:pw@auth.openai.com/oauth/token":  false,
	} {
		err := CheckCredentialURL("f", v)
		if ok {
			require.NoError(t, err, v)
		} else {
			require.Error(t, err, v)
		}
	}
}
