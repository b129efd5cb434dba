package components

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"cloud-codex/components/podspec"
)

// podSpecs returns every pod spec the recorded resources declare, by "kind/name".
func podSpecs(t *testing.T, resources []recordedResource) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range resources {
		switch r.Type {
		case agentDeploymentType, agentJobType, authPoolStsType:
			name := at(t, r.Plain, "metadata", "name")
			out[fmt.Sprintf("%s/%v", r.Type, name)] = at(t, r.Plain, "spec", "template", "spec").(map[string]any)
		}
	}
	return out
}

// Every container has a read-only root filesystem, except LiteLLM (its Prisma migrations
// write into the image, docs/litellm-image.md); a container that writes scratch files
// (HOME=/tmp, npm, go build, node's tmpdir) mounts the pod's /tmp emptyDir.
func TestEveryContainerHasAReadOnlyRootWithScratchWhereItWrites(t *testing.T) {
	agent := testAgentArgs()
	agent.Runner.Git = &AgentRunnerGitArgs{URL: "https://github.com/Team-Commonly/commonly.git", Ref: testRunnerSHA, Path: "cli"}
	resources := append(mustRunAgent(t, agent).mocks.resources(), mustRunAuthPool(t, authPoolDevArgs()).mocks.resources()...)
	specs := podSpecs(t, resources)
	require.Len(t, specs, 4, "agent Deployment, key Job, LiteLLM Deployment, Postgres StatefulSet")

	writable := map[string]bool{"litellm": true}
	needScratch := map[string]bool{
		"install-tools": true, "install-runner": true, "agent": true, // npm, git, codex, the platform CLI
		"build-registrar": true, "build-rotator": true, // go build caches
		"install-codex": true, "codex-cli": true, // npm; auth-login's mktemp -d
		"postgres": true,
	}
	seen := map[string]bool{}
	for workload, spec := range specs {
		volumes := map[string]map[string]any{}
		for _, v := range at(t, spec, "volumes").([]any) {
			volumes[v.(map[string]any)["name"].(string)] = v.(map[string]any)
		}
		for _, list := range []string{"initContainers", "containers"} {
			cs, _ := spec[list].([]any)
			for _, c := range cs {
				c := c.(map[string]any)
				name := c["name"].(string)
				seen[name] = true
				require.Equal(t, !writable[name], at(t, c, "securityContext", "readOnlyRootFilesystem"), "%s %s", workload, name)
				if needScratch[name] {
					require.Equal(t, "/tmp", mountsOf(t, c)[podspec.ScratchVolume], "%s %s writes scratch files", workload, name)
					require.Contains(t, volumes[podspec.ScratchVolume], "emptyDir", "%s: /tmp is an emptyDir", workload)
					require.NotEmpty(t, at(t, volumes[podspec.ScratchVolume], "emptyDir", "sizeLimit"), "%s: bounded", workload)
				}
			}
		}
	}
	for name := range needScratch {
		require.True(t, seen[name], "container %s exists", name)
	}
	require.True(t, seen["seed"] && seen["rotator"] && seen["register"], "the distroless containers are covered too")
}
