package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// AgentRunnerGitArgs installs the runner from a git repository at a fixed commit: the agent
// platform's CLI (Team-Commonly/commonly, cli/) is not published where the original
// installed it from, so it comes from git. The init step install-runner (image with git,
// RunnerGitImage) fetches Ref into the state volume, runs Install in Path and links the
// package's `bin` entries into $RUNNER_DIR/bin, which the agent container puts on PATH.
// A ref already installed is reused on restart; a new Ref installs next to it.
type AgentRunnerGitArgs struct {
	// URL of the repository, https:// (the pod has no git credentials). Required.
	URL string `json:"url" pulumi:"url"`
	// Ref is the full commit SHA (40 hex digits, or 64 for a SHA-256 repository). Branches
	// and tags are refused: the original cloned `main` on every start and got a different
	// CLI after any push.
	Ref string `json:"ref" pulumi:"ref"`
	// Path is the package's directory inside the repository, e.g. "cli". Default ".". It is
	// used cleaned ("cli/" and "./cli" are "cli"); a path out of the repository ("../x", an
	// absolute path) is refused.
	Path string `json:"path" pulumi:"path"`
	// Install is the install command (argv, no shell) run in Path. Default
	// DefaultRunnerInstall: `npm ci`, which installs exactly the repository's lockfile and
	// fails when there is none.
	Install []string `json:"install" pulumi:"install"`
	// Image of the install step. It must provide git, sh and node (the bin linker is a
	// Node.js script). Default RunnerGitImage.
	Image string `json:"image" pulumi:"image"`
}

// DefaultRunnerInstall is the default install command of agents[].runner.git.
func DefaultRunnerInstall() []string {
	return []string{"npm", "ci", "--omit=dev", "--no-audit", "--no-fund"}
}

// Paths of the runner install on the state volume.
const (
	agentRunnerRoot = agentStateDir + "/.runner"
)

var commitSHARE = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

func (g AgentRunnerGitArgs) withDefaults() AgentRunnerGitArgs {
	// Cleaned, so that "cli/", "./cli" and "cli" install the same runner in the same place
	// (runnerDirName hashes the path). path.Clean("") is ".".
	g.Path = path.Clean(g.Path)
	if len(g.Install) == 0 {
		g.Install = DefaultRunnerInstall()
	}
	if g.Image == "" {
		g.Image = RunnerGitImage
	}
	return g
}

// validate checks defaulted args; every error names its field under runner.git.
func (g AgentRunnerGitArgs) validate() []error {
	var errs []error
	if g.URL == "" {
		errs = append(errs, &FieldError{"runner.git.url", `""`, "set the repository's https:// URL, e.g. https://github.com/Team-Commonly/commonly.git"})
	} else if !strings.HasPrefix(g.URL, "https://") || CheckHTTPURL("runner.git.url", g.URL) != nil {
		errs = append(errs, &FieldError{"runner.git.url", fmt.Sprintf("%q", redactedURL(g.URL)), "must be an https:// URL of a repository the pod can fetch without credentials"})
	}
	if !commitSHARE.MatchString(g.Ref) {
		errs = append(errs, &FieldError{"runner.git.ref", fmt.Sprintf("%q", g.Ref), fmt.Sprintf(
			"must be a full commit SHA (40 lowercase hex digits), not a branch or tag: a moving ref installs a different runner after every push; find it with `git ls-remote %s <branch>`", redactedURL(g.URL))})
	}
	// g.Path is cleaned (withDefaults): what is left to refuse is a path out of the repository.
	if path.IsAbs(g.Path) || g.Path == ".." || strings.HasPrefix(g.Path, "../") || strings.ContainsAny(g.Path, "\\\n") {
		errs = append(errs, &FieldError{"runner.git.path", fmt.Sprintf("%q", g.Path), `must be a relative directory inside the repository, e.g. "cli" (or "." for its root); it may not climb out of it ("../") or be absolute`})
	}
	if len(g.Install) == 0 || strings.TrimSpace(g.Install[0]) == "" {
		errs = append(errs, &FieldError{"runner.git.install", fmt.Sprintf("%q", g.Install), `set the install command as a list, e.g. ["npm", "ci", "--omit=dev"]`})
	} else if err := checkProgramName("runner.git.install[0]", g.Install[0],
		"write the program and each argument as its own item: runner.git.install: "+argvList(append(strings.Fields(g.Install[0]), g.Install[1:]...))); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, checkLiteralArgs("runner.git.install", g.Install, "the agent's Deployment (the install step's command)")...)
	if err := CheckPinnedImage("runner.git.image", g.Image, RunnerGitImage); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// runnerDirName keys the install by commit and by what shapes it (URL, path, install
// command), so a restart reuses it and any change installs next to it.
func runnerDirName(g AgentRunnerGitArgs) string {
	h := sha256.Sum256([]byte(g.URL + "\n" + g.Path + "\n" + strings.Join(g.Install, "\x00")))
	return fmt.Sprintf("%s/%s-%s", agentRunnerRoot, g.Ref, hex.EncodeToString(h[:])[:8])
}
