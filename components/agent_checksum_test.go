package components

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// runAgentWithSharedScripts declares the shared scripts ConfigMap and one agent, as main.go does.
func runAgentWithSharedScripts(t *testing.T, args CloudCodexAgentArgs) *mockMonitor {
	t.Helper()
	m, err := runUnderMocks(func(ctx *pulumi.Context) error {
		scripts, err := NewCloudCodexAgentScripts(ctx, "agent-scripts", CloudCodexAgentScriptsArgs{Namespace: args.Namespace})
		if err != nil {
			return err
		}
		args.Scripts = scripts
		_, err = NewCloudCodexAgent(ctx, args.Name, args)
		return err
	})
	require.NoError(t, err)
	return m
}

// A ConfigMap whose data changes is replaced, delete before create (its name is fixed), and
// the engine replaces every resource that took an output of it the same way: for the agent's
// Deployment a delete and a create of one name, which lost the Deployment where awaiting is
// skipped. So the Deployment waits for its ConfigMaps and claim (DependsOn) and takes
// nothing from them; what it mounts is named in plain strings.
func TestAgentDeploymentTakesNoOutputOfItsConfigMapsOrClaim(t *testing.T) {
	for _, shared := range []bool{true, false} {
		args := testAgentArgs()
		var m *mockMonitor
		if shared {
			m = runAgentWithSharedScripts(t, args)
		} else {
			m = mustRunAgent(t, args).mocks
		}
		urnOf := map[string]string{} // URN suffixes of the ConfigMaps and claims, by object name
		for _, res := range m.resources() {
			switch res.Type {
			case "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:PersistentVolumeClaim":
				urnOf[at(t, res.Plain, "metadata", "name").(string)] = res.Type + "::" + res.Name
			}
		}
		dep := m.k8s(t, agentDeploymentType, "cloud-codex-cody")
		// The key digest in the template is an output of the key: property dependencies
		// are recorded, so their absence below means something.
		require.NotEmpty(t, dep.PropertyDeps["spec"], "the spec's dependencies are recorded")
		for prop, deps := range dep.PropertyDeps {
			for _, urn := range deps {
				require.False(t, strings.Contains(urn, "kubernetes:core/v1:ConfigMap") || strings.Contains(urn, "kubernetes:core/v1:PersistentVolumeClaim"),
					"shared scripts %v: the Deployment's %s takes an output of %s", shared, prop, urn)
			}
		}
		scripts := "cloud-codex-cody-scripts"
		if shared {
			scripts = DefaultAgentScriptsName
		}
		for _, name := range []string{"cloud-codex-cody", "cloud-codex-cody-config", scripts} {
			require.Contains(t, urnOf, name)
			require.True(t, slices.ContainsFunc(dep.Deps, func(u string) bool { return strings.HasSuffix(u, urnOf[name]) }), "shared scripts %v: the Deployment waits for %s; deps %v", shared, name, dep.Deps)
		}
		volumes := map[string]any{}
		for _, v := range at(t, dep.Plain, "spec", "template", "spec", "volumes").([]any) {
			volumes[v.(map[string]any)["name"].(string)] = v
		}
		require.Equal(t, "cloud-codex-cody", at(t, volumes["state"], "persistentVolumeClaim", "claimName"))
		require.Equal(t, "cloud-codex-cody-config", at(t, volumes["config"], "configMap", "name"))
		require.Equal(t, scripts, at(t, volumes["scripts"], "configMap", "name"))
	}
}

// Instead of a replaced Deployment, a change to what the pod reads from its ConfigMaps rolls
// the pods: the template's checksum follows the config file's content, and only it.
func TestAgentPodChecksumFollowsItsConfigFiles(t *testing.T) {
	checksum := func(args CloudCodexAgentArgs) string {
		t.Helper()
		dep := runAgentWithSharedScripts(t, args).k8s(t, agentDeploymentType, "cloud-codex-cody")
		sum, _ := at(t, dep.Plain, "spec", "template", "metadata", "annotations", AnnotationConfigSHA256).(string)
		require.Len(t, sum, 16)
		return sum
	}
	base := checksum(testAgentArgs())
	require.Equal(t, base, checksum(testAgentArgs()), "the same config, the same checksum")

	model := testAgentArgs()
	model.Codex.Model = "codex-cli/gpt-5.3"
	model.LiteLLM.ModelAllowlist = []string{"codex-cli/gpt-5.3"}
	require.NotEqual(t, base, checksum(model), "a new model is a new config.toml")

	platform := testAgentArgs()
	platform.Registry.APIURL = "https://api.other.example"
	require.NotEqual(t, base, checksum(platform), "a new platform URL is a new platform config file")

	image := testAgentArgs()
	image.Image = "node:22.12-bookworm-slim"
	require.Equal(t, base, checksum(image), "the image is not a file the ConfigMaps hold")
}
