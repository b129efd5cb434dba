package components

// Pinned stock images. Only public, pinned images are used: this project has no registry.
const (
	// DefaultAgentImage runs the codex CLI (a Node.js package) and the agent runner.
	DefaultAgentImage = "node:22-bookworm-slim"
	// RunnerGitImage installs agents[].runner.git: the full Debian node image ships git
	// (buildpack-deps), so nothing is apt-get installed at boot.
	RunnerGitImage = "node:22-bookworm"
	// DefaultLiteLLMImage is the non-root LiteLLM variant (runs as nobody, HOME=/app). It
	// must be a release with the chatgpt/ provider (new in v1.81.3) whose Responses bridge
	// returns output (MinResponsesLiteLLMVersion, v1.88.0); v1.88.2 is what public
	// deployments pin. What to check before moving it: docs/litellm-image.md.
	DefaultLiteLLMImage = "ghcr.io/berriai/litellm-non_root:v1.88.2"
	// GoBuildImage compiles the auth rotator from its shipped source at pod start.
	GoBuildImage = "golang:1.26.8-bookworm"
	// RotatorRunImage runs the compiled, static rotator binary.
	RotatorRunImage = "gcr.io/distroless/static-debian12:nonroot"
	// PostgresImage is the dev-only in-cluster database for LiteLLM's virtual keys.
	PostgresImage = "postgres:17.6-bookworm"
	// codexNpmPackage is the codex CLI's npm package (the install scripts install it at
	// the pinned version).
	codexNpmPackage = "@openai/codex"
	// DefaultCodexVersion is the pinned @openai/codex npm version for agents and the
	// auth pool's device-auth station.
	DefaultCodexVersion = "0.171.0"
)
