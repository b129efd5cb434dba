package components

import (
	"encoding/json"
	"fmt"

	"cloud-codex/contract"
)

// The agent platform CLI's two files, as `commonly agent run <name>` reads them
// (Team-Commonly/commonly, cli/src/commands/agent.js and cli/src/lib/config.js). They are
// rendered here with encoding/json from typed structs, into the agent's config ConfigMap
// without their secret fields; the boot step (agent-identity.js) fills those from the
// runtime-token Secret and writes the files onto the state volume on every start.

// AgentPlatformAdapter is the token file's adapter: `agent run` picks its CLI adapter by
// it and exits "Unknown adapter '…' in token file" without one.
const AgentPlatformAdapter = "codex"

// AgentPlatformInstanceKey is the key of this stack's platform instance in the CLI's
// config.json, and its active instance.
const AgentPlatformInstanceKey = "cloud-codex"

// ConfigMap keys (files under /etc/cloud-codex/config) of the two templates.
const (
	AgentPlatformTokenFileKey  = "commonly-identity.json"
	AgentPlatformConfigFileKey = "commonly-config.json"
)

// agentPlatformTokenFile is ~/.commonly/tokens/<name>.json: `agent run <name>` loads it
// (loadAgentToken) and polls instanceUrl as agentName/instanceId with runtimeToken.
// saveAgentToken writes the same record plus savedAt.
type agentPlatformTokenFile struct {
	AgentName  string `json:"agentName"`
	InstanceID string `json:"instanceId"`
	PodID      string `json:"podId"`
	// InstanceURL is the platform API the loop polls.
	InstanceURL string `json:"instanceUrl"`
	// RuntimeToken is filled at boot from the runtime-token Secret; empty here.
	RuntimeToken string `json:"runtimeToken"`
	Adapter      string `json:"adapter"`
	// SavedAt is filled at boot (RFC 3339); empty here.
	SavedAt string `json:"savedAt"`
}

// agentPlatformConfig is ~/.commonly/config.json. The CLI resolves its instance from
// instances[active] (cli/src/lib/config.js: resolveInstance) and otherwise falls back to the
// public https://api.commonly.me: the original rewrote this file on every boot after an
// agent polled the wrong URL for hours. agentTokens is what the original wrote next to
// url and token; this CLI version does not read it, and it is kept for the versions that did.
type agentPlatformConfig struct {
	Instances map[string]agentPlatformInstance `json:"instances"`
	Active    string                           `json:"active"`
}

type agentPlatformInstance struct {
	URL string `json:"url"`
	// Token is a user login token; agents have none.
	Token string `json:"token"`
	// AgentTokens maps the agent's name to its runtime token, filled at boot.
	AgentTokens map[string]string `json:"agentTokens"`
}

// agentPlatformFiles renders the two templates (no secret in either).
func agentPlatformFiles(args CloudCodexAgentArgs) (token, config string, err error) {
	t, err := json.MarshalIndent(agentPlatformTokenFile{
		AgentName:   contract.AgentRegistryName,
		InstanceID:  args.Name,
		PodID:       args.Registry.PodID,
		InstanceURL: args.Registry.APIURL,
		Adapter:     AgentPlatformAdapter,
	}, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("platform token file: %w", err)
	}
	c, err := json.MarshalIndent(agentPlatformConfig{
		Instances: map[string]agentPlatformInstance{AgentPlatformInstanceKey: {
			URL:         args.Registry.APIURL,
			AgentTokens: map[string]string{args.Name: ""},
		}},
		Active: AgentPlatformInstanceKey,
	}, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("platform config.json: %w", err)
	}
	return string(t) + "\n", string(c) + "\n", nil
}
