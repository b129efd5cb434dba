package components

import (
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AnnotationConfigSHA256 is the agent pod template's checksum of the files it reads from its
// config and scripts ConfigMaps: a change to either rolls the pods (the Deployment is
// updated in place; it no longer takes the ConfigMaps' names from their outputs, agent.go).
const AnnotationConfigSHA256 = "cloud-codex.dev/config-sha256"

// agentFilesChecksum is the first 16 hex digits of the SHA-256 of the config ConfigMap's data
// and the scripts, computed from the values the ConfigMaps are given, not read back from
// them (which would make the Deployment's spec an output of the ConfigMaps again).
func agentFilesChecksum(config pulumi.StringMap) pulumi.StringOutput {
	return config.ToStringMapOutput().ApplyT(func(files map[string]string) (string, error) {
		data, err := json.Marshal(struct {
			Config  map[string]string `json:"config"`
			Scripts map[string]string `json:"scripts"`
		}{files, agentScriptsFiles()})
		if err != nil {
			return "", err
		}
		return sha256Hex(string(data))[:16], nil
	}).(pulumi.StringOutput)
}
