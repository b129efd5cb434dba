package tests

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/stretchr/testify/require"
)

// The pack, as the CLI runs it, refuses a program that breaks ADR-014 and names the rule
// and the resource; lowering a rule through --policy-pack-config works; an invalid config
// is rejected with a clear message.
func TestPolicyPackThroughTheCLI(t *testing.T) {
	t.Setenv("FIXTURE_RENDER_DIR", t.TempDir())
	stack := newStack(t, filepath.Join(rootDir, "tests", "fixtures", "violating"), "e2e-policy", nil)
	ctx, cancel := timeout(10 * time.Minute)
	defer cancel()

	t.Run("violations fail the preview, naming rule and resource", func(t *testing.T) {
		out := &logWriter{t: t}
		_, err := stack.Preview(ctx, optpreview.PolicyPacks(policyPack), optpreview.ProgressStreams(out))
		require.Error(t, err)
		text := out.String()
		require.Contains(t, text, "no-codex-credentials-outside-auth-pool")
		require.Contains(t, text, "agents-route-through-litellm")
		require.Contains(t, text, "kubernetes:apps/v1:Deployment")
		require.Contains(t, text, "litellm", "the resource is named")
		require.Contains(t, text, "direct-openai")
		require.Contains(t, text, "mandatory")
	})

	t.Run("a rule lowered to advisory no longer blocks", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "advisory.json")
		require.NoError(t, os.WriteFile(cfg, []byte(`{"all": "advisory"}`), 0o600))
		out := &logWriter{t: t}
		_, err := stack.Preview(ctx, optpreview.PolicyPacks(policyPack), optpreview.PolicyPackConfigs(cfg), optpreview.ProgressStreams(out))
		if err != nil {
			out.dump()
		}
		require.NoError(t, err)
		require.Contains(t, out.String(), "advisory")
		require.Contains(t, out.String(), "no-codex-credentials-outside-auth-pool", "still reported, as a warning")
	})

	t.Run("an invalid pack config is rejected", func(t *testing.T) {
		out := &logWriter{t: t}
		_, err := stack.Preview(ctx, optpreview.PolicyPacks(policyPack),
			optpreview.PolicyPackConfigs(filepath.Join(rootDir, "policy", "testdata", "policy-config.invalid-level.json")),
			optpreview.ProgressStreams(out), optpreview.ErrorProgressStreams(out))
		require.Error(t, err)
		require.Contains(t, out.String()+err.Error(), "is not a valid enforcement level")
	})
}
