package components

import (
	"os"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"cloud-codex/contract"
)

// The stack's agents share one scripts ConfigMap (issue 11): no agent declares its own,
// every agent pod mounts the shared one, and it holds the scripts the pods run.
func TestAgentsShareOneScriptsConfigMap(t *testing.T) {
	mocks := &mockMonitor{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		scripts, err := NewCloudCodexAgentScripts(ctx, "agent-scripts", CloudCodexAgentScriptsArgs{Namespace: "agents"})
		if err != nil {
			return err
		}
		for _, name := range []string{"cody", "ada"} {
			args := testAgentArgs()
			args.Name = name
			args.Scripts = scripts
			if _, err := NewCloudCodexAgent(ctx, name, args); err != nil {
				return err
			}
		}
		return nil
	}, pulumi.WithMocks("cloud-codex", "dev", mocks))
	require.NoError(t, err)

	var configMaps []string
	var shared recordedResource
	for _, res := range mocks.resources() {
		if res.Type != "kubernetes:core/v1:ConfigMap" {
			continue
		}
		name := at(t, res.Plain, "metadata", "name").(string)
		configMaps = append(configMaps, name)
		if name == DefaultAgentScriptsName {
			shared = res
		}
	}
	require.ElementsMatch(t, []string{"cloud-codex-cody-config", "cloud-codex-ada-config", DefaultAgentScriptsName}, configMaps,
		"one scripts ConfigMap for every agent, none per agent")
	require.Equal(t, "agents", at(t, shared.Plain, "metadata", "namespace"))
	require.Contains(t, shared.Parent, contract.CloudCodexAgentScriptsType)
	for key, file := range map[string]string{
		"agent-install-tools.sh": "scripts/agent-install-tools.sh", "agent-boot.sh": "scripts/agent-boot.sh",
		"agent-identity.js": "scripts/agent-identity.js", "agent-idle-runner.sh": "scripts/agent-idle-runner.sh",
	} {
		want, err := os.ReadFile(file)
		require.NoError(t, err)
		require.Equal(t, string(want), at(t, shared.Plain, "data", key), key)
	}

	for _, name := range []string{"cody", "ada"} {
		dep := mocks.k8s(t, "kubernetes:apps/v1:Deployment", "cloud-codex-"+name)
		var scriptsVolume any
		for _, v := range at(t, dep.Plain, "spec", "template", "spec", "volumes").([]any) {
			if v.(map[string]any)["name"] == "scripts" {
				scriptsVolume = v
			}
		}
		require.NotNil(t, scriptsVolume, "agent %s mounts its scripts", name)
		require.Equal(t, DefaultAgentScriptsName, at(t, scriptsVolume, "configMap", "name"))
		require.EqualValues(t, 0o555, at(t, scriptsVolume, "configMap", "defaultMode"))
	}
}

func TestAgentScriptsArgsAreChecked(t *testing.T) {
	_, err := runUnderMocks(func(ctx *pulumi.Context) error {
		_, err := NewCloudCodexAgentScripts(ctx, "agent-scripts", CloudCodexAgentScriptsArgs{Namespace: "Agents"})
		return err
	})
	require.ErrorContains(t, err, "namespace")
}
