package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"cloud-codex/codexconfig"
	"cloud-codex/litellmconfig"
)

// Render mode (cluster.renderTo) writes the manifests for GitOps instead of applying them;
// the rendered config.toml and config.yaml parse back with the shared models.
func TestRenderModeWritesManifests(t *testing.T) {
	dir := t.TempDir()
	cluster, _ := json.Marshal(map[string]any{"renderTo": dir})
	stack := newStack(t, rootDir, "e2e-render", map[string]string{
		"cloud-codex:namespace": "cc-render",
		"cloud-codex:cluster":   string(cluster),
		"cloud-codex:litellm":   `{"database": {"existingSecret": {"name": "litellm-db"}}}`,
		"cloud-codex:agents":    `[{"name": "cody", "registry": {"apiUrl": "https://api.commonly.example", "podId": "pod-r"}}]`,
	})
	ctx, cancel := timeout(10 * time.Minute)
	defer cancel()
	out := &logWriter{t: t}
	_, err := stack.Up(ctx, optup.PolicyPacks(policyPack), optup.ProgressStreams(out))
	if err != nil {
		out.dump()
	}
	require.NoError(t, err)

	manifests := filepath.Join(dir, "1-manifest")
	for _, f := range []string{
		"v1-namespace-default-cc-render.yaml",
		"apps_v1-deployment-cc-render-cloud-codex-cody.yaml",
		"apps_v1-deployment-cc-render-litellm.yaml",
		"v1-persistentvolumeclaim-cc-render-cloud-codex-cody.yaml",
		"v1-persistentvolumeclaim-cc-render-litellm-chatgpt-auth.yaml",
		"v1-service-cc-render-litellm.yaml",
	} {
		require.FileExists(t, filepath.Join(manifests, f))
	}

	agentCM := readManifest(t, filepath.Join(manifests, "v1-configmap-cc-render-cloud-codex-cody-config.yaml"))
	codex, err := codexconfig.Parse(dig(agentCM, "data", codexconfig.FileName).(string))
	require.NoError(t, err)
	require.Equal(t, codexconfig.ForLiteLLM("codex-cli/gpt-5.4", "http://litellm.cc-render.svc.cluster.local:4000/v1", nil), codex)

	poolCM := readManifest(t, filepath.Join(manifests, "v1-configmap-cc-render-litellm-config.yaml"))
	litellm, err := litellmconfig.Parse(dig(poolCM, "data", litellmconfig.FileName).(string))
	require.NoError(t, err)
	upstream, ok := litellm.Upstream(codex.Model)
	require.True(t, ok, "the agent's model is served by the pool")
	require.True(t, litellmconfig.IsResponsesPathModel(upstream))
}

func readManifest(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &obj))
	return obj
}
