package components

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const testRunnerSHA = "0123456789abcdef0123456789abcdef01234567"

func TestAgentRunnerGitInstallStep(t *testing.T) {
	args := testAgentArgs()
	args.Runner.Command = []string{"commonly", "agent", "run", "cody"}
	args.Runner.Git = &AgentRunnerGitArgs{URL: "https://github.com/Team-Commonly/commonly.git", Ref: testRunnerSHA, Path: "cli"}
	r := mustRunAgent(t, args)
	dep := r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody")

	inits := at(t, dep.Plain, "spec", "template", "spec", "initContainers").([]any)
	require.Len(t, inits, 2)
	require.Equal(t, "install-runner", inits[1].(map[string]any)["name"], "after install-tools")
	install := containerNamed(t, dep, "initContainers", "install-runner")
	require.Equal(t, RunnerGitImage, install["image"], "an image with git: nothing is apt-get installed at boot")
	require.Equal(t, []any{"/bin/sh", agentScriptsDir + "/agent-install-runner.sh", "npm", "ci", "--omit=dev", "--no-audit", "--no-fund"},
		install["command"], "the install command is passed as arguments, no shell string")
	env := envOf(t, install)
	dir := env["RUNNER_DIR"].value
	require.Regexp(t, `^/state/\.runner/`+testRunnerSHA+`-[0-9a-f]{8}$`, dir, "keyed by the commit, on the state volume")
	require.Equal(t, "https://github.com/Team-Commonly/commonly.git", env["RUNNER_GIT_URL"].value)
	require.Equal(t, testRunnerSHA, env["RUNNER_GIT_REF"].value)
	require.Equal(t, "cli", env["RUNNER_GIT_PATH"].value)
	require.Equal(t, "/state", mountsOf(t, install)["state"])

	agent := containerNamed(t, dep, "containers", "agent")
	require.Equal(t, dir, envOf(t, agent)["RUNNER_DIR"].value, "the boot step puts $RUNNER_DIR/bin on PATH")
	require.Equal(t, []any{"/bin/sh", agentScriptsDir + "/agent-boot.sh", "commonly", "agent", "run", "cody"}, agent["command"])

	// Another install command installs next to the old one; the same args reuse it.
	other := *args.Runner.Git
	other.Install = []string{"npm", "install"}
	require.NotEqual(t, runnerDirName(args.Runner.Git.withDefaults()), runnerDirName(other.withDefaults()))
	require.Equal(t, runnerDirName(args.Runner.Git.withDefaults()), runnerDirName(args.Runner.Git.withDefaults()))
}

func TestAgentWithoutRunnerGitHasNoInstallStep(t *testing.T) {
	r := mustRunAgent(t, testAgentArgs())
	dep := r.mocks.k8s(t, agentDeploymentType, "cloud-codex-cody")
	require.Len(t, at(t, dep.Plain, "spec", "template", "spec", "initContainers").([]any), 1)
	_, set := envOf(t, containerNamed(t, dep, "containers", "agent"))["RUNNER_DIR"]
	require.False(t, set)
}

func TestAgentRunnerGitIsChecked(t *testing.T) {
	good := AgentRunnerGitArgs{URL: "https://github.com/Team-Commonly/commonly.git", Ref: testRunnerSHA}
	for _, tc := range []struct {
		name  string
		edit  func(*AgentRunnerGitArgs)
		field string
	}{
		{"branch", func(g *AgentRunnerGitArgs) { g.Ref = "main" }, "runner.git.ref"},
		{"tag", func(g *AgentRunnerGitArgs) { g.Ref = "v1.2.3" }, "runner.git.ref"},
		{"short sha", func(g *AgentRunnerGitArgs) { g.Ref = testRunnerSHA[:12] }, "runner.git.ref"},
		{"uppercase sha", func(g *AgentRunnerGitArgs) { g.Ref = strings.ToUpper(testRunnerSHA) }, "runner.git.ref"},
		{"no url", func(g *AgentRunnerGitArgs) { g.URL = "" }, "runner.git.url"},
		{"ssh url", func(g *AgentRunnerGitArgs) { g.URL = "git@github.com:Team-Commonly/commonly.git" }, "runner.git.url"},
		{"http url", func(g *AgentRunnerGitArgs) { g.URL = "http://github.com/x.git" }, "runner.git.url"},
		{"path escapes", func(g *AgentRunnerGitArgs) { g.Path = "../etc" }, "runner.git.path"},
		{"absolute path", func(g *AgentRunnerGitArgs) { g.Path = "/cli" }, "runner.git.path"},
		{"empty install", func(g *AgentRunnerGitArgs) { g.Install = []string{""} }, "runner.git.install"},
		{"install as one string", func(g *AgentRunnerGitArgs) { g.Install = []string{"npm ci --omit=dev"} }, "runner.git.install[0]"},
		{"path climbs out after cleaning", func(g *AgentRunnerGitArgs) { g.Path = "cli/../../etc" }, "runner.git.path"},
		{"unpinned image", func(g *AgentRunnerGitArgs) { g.Image = "node" }, "runner.git.image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := good
			tc.edit(&g)
			args := testAgentArgs()
			args.Runner.Git = &g
			r, err := runAgent(t, args)
			require.Error(t, err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			require.Contains(t, err.Error(), tc.field+":")
			require.Empty(t, r.mocks.resources(), "nothing is registered")
		})
	}
	args := testAgentArgs()
	args.Runner.Git = &good
	require.NoError(t, args.Validate())
	require.Contains(t, (&AgentRunnerGitArgs{URL: good.URL, Ref: "main"}).withDefaults().validate()[0].Error(), "git ls-remote")

	// A harmless spelling of a directory is accepted and used cleaned: the install runs in
	// the same directory, keyed the same as "cli".
	for _, p := range []string{"cli/", "./cli", "cli//", "./cli/."} {
		g := good
		g.Path = p
		args := testAgentArgs()
		args.Runner.Git = &g
		require.NoError(t, args.Validate(), p)
		d := g.withDefaults()
		require.Equal(t, "cli", d.Path, p)
		want := good
		want.Path = "cli"
		require.Equal(t, runnerDirName(want.withDefaults()), runnerDirName(d), p)
	}
	g := good
	g.Install = []string{"npm ci --omit=dev", "--no-audit"}
	err := (&g).withDefaults().validate()
	require.Len(t, err, 1)
	require.ErrorContains(t, err[0], `runner.git.install: ["npm", "ci", "--omit=dev", "--no-audit"]`)

	// A token in the URL's user position is never echoed, in the url's error nor in the
	// ref's (which repeats the URL in its `git ls-remote` hint).
	tokenURL := "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/cli.git"
	errs := (&AgentRunnerGitArgs{URL: tokenURL, Ref: "main"}).withDefaults().validate()
	require.Len(t, errs, 2)
	for _, err := range errs {
		require.NotContains(t, err.Error(), "ghp_")
		require.Contains(t, err.Error(), "https://xxxxx@github.com/org/cli.git")
	}
}
