package components

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The runner install and boot scripts are run for real here: bash, git, node, against a
// local repository holding a small fixture CLI (the shape of Team-Commonly/commonly's cli/:
// package.json with a "bin", an ESM entry point) that records how it was started.

const fixtureCLI = `#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { homedir } from 'os';
const name = process.argv[4];
const record = {
  argv: process.argv.slice(2),
  path: process.env.PATH,
  litellmKey: process.env.LITELLM_API_KEY,
  token: JSON.parse(readFileSync(join(homedir(), '.commonly', 'tokens', name + '.json'), 'utf8')),
  config: JSON.parse(readFileSync(join(homedir(), '.commonly', 'config.json'), 'utf8')),
};
writeFileSync(process.env.FIXTURE_RECORD, JSON.stringify(record));
`

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// fixtureRepo is a git repository with the fixture CLI under cli/; it returns the
// repository's file:// URL and the commit.
func fixtureRepo(t *testing.T) (string, string) {
	t.Helper()
	repo := t.TempDir()
	gitIn(t, repo, "init", "-q", "-b", "main")
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "cli", "src"), 0o755))
	pkg := `{"name": "@fixture/cli", "version": "0.0.1", "type": "module", "bin": {"commonly": "src/index.js"}}`
	require.NoError(t, os.WriteFile(filepath.Join(repo, "cli", "package.json"), []byte(pkg), 0o644))
	// Not executable in git, as upstream's was not: the install step makes it so.
	require.NoError(t, os.WriteFile(filepath.Join(repo, "cli", "src", "index.js"), []byte(fixtureCLI), 0o644))
	gitIn(t, repo, "add", ".")
	gitIn(t, repo, "commit", "-q", "-m", "fixture cli")
	return "file://" + repo, gitIn(t, repo, "rev-parse", "HEAD")
}

type scriptRun struct {
	stdout, stderr string
	err            error
}

func runScript(t *testing.T, env []string, script string, args ...string) scriptRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", append([]string{filepath.Join("scripts", script)}, args...)...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return scriptRun{stdout.String(), stderr.String(), err}
}

func baseEnv(extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "GIT_TERMINAL_PROMPT=0"}, extra...)
}

func TestInstallRunnerFromGitOncePerRef(t *testing.T) {
	requireTools(t, "bash", "git", "node")
	url, sha := fixtureRepo(t)
	state := t.TempDir()
	runnerDir := filepath.Join(state, ".runner", sha+"-test")
	counter := filepath.Join(t.TempDir(), "installs")
	env := baseEnv("HOME="+state, "RUNNER_GIT_URL="+url, "RUNNER_GIT_REF="+sha, "RUNNER_GIT_PATH=cli", "RUNNER_DIR="+runnerDir)
	// The install command arrives as arguments and runs in the package's directory.
	install := []string{"sh", "-c", `pwd >> "$0"`, counter}

	r := runScript(t, env, "agent-install-runner.sh", install...)
	require.NoError(t, r.err, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.FileExists(t, filepath.Join(runnerDir, ".installed"))
	require.NoDirExists(t, runnerDir+".partial")
	runs, err := os.ReadFile(counter)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(runnerDir+".partial", "src", "cli")+"\n", string(runs), "install ran once, in runner.git.path")
	link, err := os.Readlink(filepath.Join(runnerDir, "bin", "commonly"))
	require.NoError(t, err)
	require.False(t, filepath.IsAbs(link), "relative link: the staging directory is moved into place after linking")
	info, err := os.Stat(filepath.Join(runnerDir, "bin", "commonly"))
	require.NoError(t, err)
	require.NotZero(t, info.Mode()&0o111, "the bin target is made executable")
	require.Equal(t, sha, gitIn(t, filepath.Join(runnerDir, "src"), "rev-parse", "HEAD"))

	// A restart with the same ref reuses the install: no fetch, no install command.
	r = runScript(t, env, "agent-install-runner.sh", install...)
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, "reusing "+runnerDir)
	runs, _ = os.ReadFile(counter)
	require.Equal(t, 1, strings.Count(string(runs), "\n"), "the install command did not run again")
}

func TestInstallRunnerRefusesMovingAndUnknownRefs(t *testing.T) {
	requireTools(t, "bash", "git", "node")
	url, sha := fixtureRepo(t)
	for _, tc := range []struct{ name, ref, want string }{
		{"branch", "main", "not a full commit SHA"},
		{"short sha", sha[:12], "not a full commit SHA"},
		{"unknown commit", strings.Repeat("0", 40), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runnerDir := filepath.Join(t.TempDir(), "runner")
			r := runScript(t, baseEnv("HOME="+t.TempDir(), "RUNNER_GIT_URL="+url, "RUNNER_GIT_REF="+tc.ref, "RUNNER_GIT_PATH=cli", "RUNNER_DIR="+runnerDir), "agent-install-runner.sh", "true")
			require.Error(t, r.err, "stdout: %s", r.stdout)
			require.Contains(t, r.stderr, tc.want)
			require.NoFileExists(t, filepath.Join(runnerDir, ".installed"), "nothing half-installed is ever marked installed")
		})
	}
	t.Run("failing install command", func(t *testing.T) {
		runnerDir := filepath.Join(t.TempDir(), "runner")
		r := runScript(t, baseEnv("HOME="+t.TempDir(), "RUNNER_GIT_URL="+url, "RUNNER_GIT_REF="+sha, "RUNNER_GIT_PATH=cli", "RUNNER_DIR="+runnerDir), "agent-install-runner.sh", "false")
		require.Error(t, r.err)
		require.NoDirExists(t, runnerDir)
	})
}

// The boot script, with the config files the program renders, starts the platform CLI as
// `commonly agent run <name>`, and the CLI finds the token file and config.json it reads.
func TestBootStartsThePlatformCLIWithItsFiles(t *testing.T) {
	requireTools(t, "bash", "git", "node")
	url, sha := fixtureRepo(t)
	state := t.TempDir()
	args := testAgentArgs().withDefaults()
	args.Runner.Git = &AgentRunnerGitArgs{URL: url, Ref: sha, Path: "cli", Install: []string{"true"}}
	g := args.Runner.Git.withDefaults()
	runnerDir := filepath.Join(state, strings.TrimPrefix(runnerDirName(g), agentStateDir+"/"))
	r := runScript(t, baseEnv("HOME="+state, "RUNNER_GIT_URL="+url, "RUNNER_GIT_REF="+sha, "RUNNER_GIT_PATH=cli", "RUNNER_DIR="+runnerDir), "agent-install-runner.sh", "true")
	require.NoError(t, r.err, r.stderr)

	// The config volume as the agent's ConfigMap holds it.
	configDir := t.TempDir()
	token, config, err := agentPlatformFiles(args)
	require.NoError(t, err)
	require.NotContains(t, token+config, "runtime-secret", "the templates hold no token")
	for name, body := range map[string]string{"config.toml": "model = \"x\"\n", AgentPlatformTokenFileKey: token, AgentPlatformConfigFileKey: config} {
		require.NoError(t, os.WriteFile(filepath.Join(configDir, name), []byte(body), 0o444))
	}
	tools := filepath.Join(state, ".tools", "codex")
	require.NoError(t, os.MkdirAll(filepath.Join(tools, "node_modules", ".bin"), 0o755))
	record := filepath.Join(t.TempDir(), "record.json")
	scriptsDir, err := filepath.Abs("scripts")
	require.NoError(t, err)

	before := time.Now().Add(-time.Second)
	r = runScript(t, baseEnv(
		"HOME="+state, "CODEX_HOME="+filepath.Join(state, ".codex"), "TOOLS_DIR="+tools, "RUNNER_DIR="+runnerDir,
		"CLOUD_CODEX_CONFIG_DIR="+configDir, "CLOUD_CODEX_SCRIPTS_DIR="+scriptsDir, "FIXTURE_RECORD="+record,
		"LITELLM_KEY_SECRET=cloud-codex-cody-litellm-key", "COMMONLY_INSTANCE_ID=cody", "COMMONLY_RUNTIME_TOKEN=runtime-secret",
	), "agent-boot.sh", "commonly", "agent", "run", "cody")
	require.NoError(t, r.err, "stdout: %s\nstderr: %s", r.stdout, r.stderr)

	// No LiteLLM key: the warning says what codex 0.171.0 really does.
	require.Contains(t, r.stderr, "Missing environment variable: `LITELLM_API_KEY`.")
	require.Contains(t, r.stderr, "cloud-codex-cody-litellm-key")

	var got struct {
		Argv       []string
		Path       string
		LitellmKey string
		Token      map[string]any
		Config     struct {
			Instances map[string]struct {
				URL         string
				Token       string
				AgentTokens map[string]string
			}
			Active string
		}
	}
	data, err := os.ReadFile(record)
	require.NoError(t, err, "the fixture CLI ran: %s", r.stderr)
	require.NoError(t, json.Unmarshal(data, &got))
	require.Equal(t, []string{"agent", "run", "cody"}, got.Argv)
	require.True(t, strings.HasPrefix(got.Path, filepath.Join(runnerDir, "bin")+":"+filepath.Join(tools, "node_modules", ".bin")+":"), got.Path)
	require.Equal(t, "", got.LitellmKey)

	// The token file `agent run` reads: identity, adapter codex, the token, savedAt.
	require.Equal(t, map[string]any{
		"agentName": "codex", "instanceId": "cody", "podId": "pod-1", "instanceUrl": "https://api.example.com",
		"runtimeToken": "runtime-secret", "adapter": "codex", "savedAt": got.Token["savedAt"],
	}, got.Token)
	saved, err := time.Parse(time.RFC3339, got.Token["savedAt"].(string))
	require.NoError(t, err)
	require.True(t, saved.After(before), "savedAt is the boot time")

	// config.json: the stack's instance is the active one, with the agent's token.
	require.Equal(t, AgentPlatformInstanceKey, got.Config.Active)
	inst := got.Config.Instances[AgentPlatformInstanceKey]
	require.Equal(t, "https://api.example.com", inst.URL)
	require.Equal(t, "", inst.Token)
	require.Equal(t, map[string]string{"cody": "runtime-secret"}, inst.AgentTokens)
	for _, f := range []string{filepath.Join(state, ".commonly", "tokens", "cody.json"), filepath.Join(state, ".commonly", "config.json")} {
		info, err := os.Stat(f)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), f)
	}
}

// The suggested `kubectl create secret` command keeps the value off the command line and
// out of the shell history, and stores it without a trailing newline.
func TestSecretCommandReadsTheValueFromTheTerminal(t *testing.T) {
	requireTools(t, "bash")
	bin := t.TempDir()
	got := filepath.Join(t.TempDir(), "kubectl")
	require.NoError(t, os.WriteFile(filepath.Join(bin, "kubectl"), []byte("#!/bin/sh\nprintf '%s\\n' \"$*\" > \""+got+".args\"\ncat > \""+got+".stdin\"\n"), 0o755))
	cmd := exec.Command("bash", "-c", SecretFromStdinCommand("cloud-codex-cody-token", "agents", "token", "the runtime token"))
	cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
	cmd.Stdin = strings.NewReader("s3cret-value\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.NotContains(t, string(out), "s3cret-value", "the value is not echoed")
	args, _ := os.ReadFile(got + ".args")
	require.Equal(t, "create secret generic cloud-codex-cody-token -n agents --from-file=token=/dev/stdin\n", string(args))
	value, _ := os.ReadFile(got + ".stdin")
	require.Equal(t, "s3cret-value", string(value))
}
