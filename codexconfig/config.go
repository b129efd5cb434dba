// Package codexconfig is the one typed model of codex's config.toml. The CloudCodexAgent
// component renders it and the policy pack parses it back with the same struct, so the
// format is described once.
package codexconfig

import (
	"bytes"
	"fmt"

	"github.com/pelletier/go-toml/v2"
)

// FileName is the name codex reads under CODEX_HOME.
const FileName = "config.toml"

// Values this project relies on. LiteLLM is the only provider an agent may use; codex
// sends the key named by EnvKey as `Authorization: Bearer ...`.
const (
	ProviderID        = "litellm"
	WireAPIResponses  = "responses"
	ApprovalNever     = "never"
	SandboxFullAccess = "danger-full-access"
)

// BuiltinProviderIDs are codex's own provider ids; a custom provider must not reuse them.
var BuiltinProviderIDs = []string{"openai", "ollama", "lmstudio", "amazon-bedrock", "oss"}

// Config is the subset of codex's config.toml this project writes and checks. Root keys are
// declared before tables so the encoder emits them first, as TOML requires.
type Config struct {
	Model                   string `toml:"model,omitempty"`
	ModelProvider           string `toml:"model_provider,omitempty"`
	ApprovalPolicy          string `toml:"approval_policy,omitempty"`
	SandboxMode             string `toml:"sandbox_mode,omitempty"`
	CheckForUpdateOnStartup *bool  `toml:"check_for_update_on_startup,omitempty"`
	CLIAuthCredentialsStore string `toml:"cli_auth_credentials_store,omitempty"`
	// Profile names the active [profiles.<name>] table (codex's --profile/-p replaces it).
	// Both are how codex before 0.134.0 reads profiles; later versions reject the key and
	// read `--profile NAME` from NAME.config.toml (docs/upstream-facts-cited.md).
	Profile        string                   `toml:"profile,omitempty"`
	ModelProviders map[string]ModelProvider `toml:"model_providers,omitempty"`
	MCPServers     map[string]MCPServer     `toml:"mcp_servers,omitempty"`
	Profiles       map[string]Profile       `toml:"profiles,omitempty"`
}

// Profile is one `[profiles.<name>]` table: when it is the active profile, each value it
// sets replaces the root one (codex's ConfigProfile; only the keys this project checks).
type Profile struct {
	Model          string `toml:"model,omitempty"`
	ModelProvider  string `toml:"model_provider,omitempty"`
	ApprovalPolicy string `toml:"approval_policy,omitempty"`
	SandboxMode    string `toml:"sandbox_mode,omitempty"`
}

// ModelProvider is one `[model_providers.<id>]` table.
type ModelProvider struct {
	Name    string `toml:"name"`
	BaseURL string `toml:"base_url"`
	// WireAPI must be "responses": it is the only value current codex accepts.
	WireAPI string `toml:"wire_api"`
	// EnvKey names the environment variable holding the bearer key.
	EnvKey string `toml:"env_key,omitempty"`
	// RequiresOpenAIAuth=true would make codex want a ChatGPT login in the agent pod.
	RequiresOpenAIAuth  bool   `toml:"requires_openai_auth,omitempty"`
	RequestMaxRetries   *int64 `toml:"request_max_retries,omitempty"`
	StreamMaxRetries    *int64 `toml:"stream_max_retries,omitempty"`
	StreamIdleTimeoutMs *int64 `toml:"stream_idle_timeout_ms,omitempty"`
}

// MCPServer is one `[mcp_servers.<id>]` table. MCP children do not inherit codex's
// environment (only its short default list, HOME, PATH, ...: docs/upstream-facts-cited.md): Env carries non-secret values, EnvVars names variables codex forwards from
// its own environment (where Secret-backed values live), so no secret is ever written here.
type MCPServer struct {
	Command string            `toml:"command"`
	Args    []string          `toml:"args,omitempty"`
	Env     map[string]string `toml:"env,omitempty"`
	EnvVars []string          `toml:"env_vars,omitempty"`
}

// Render encodes c as TOML.
func Render(c Config) (string, error) {
	var buf bytes.Buffer
	enc := toml.NewEncoder(&buf)
	enc.SetIndentTables(true)
	if err := enc.Encode(c); err != nil {
		return "", fmt.Errorf("codex config.toml: %w", err)
	}
	return buf.String(), nil
}

// Parse decodes a config.toml. Keys this model does not know are ignored, as codex itself
// ignores them without --strict-config.
func Parse(data string) (Config, error) {
	var c Config
	if err := toml.Unmarshal([]byte(data), &c); err != nil {
		return Config{}, fmt.Errorf("codex config.toml: %w", err)
	}
	return c, nil
}

// Effective returns the config codex runs with when the named profile is active ("" = the
// config's own profile key; none = the root values): the profile's values replace the
// root ones. ok is false when a profile is named but has no table (codex refuses to start).
func (c Config) Effective(profile string) (eff Config, name string, ok bool) {
	if profile == "" {
		profile = c.Profile
	}
	if profile == "" {
		return c, "", true
	}
	p, found := c.Profiles[profile]
	if !found {
		return c, profile, false
	}
	eff = c
	eff.Profile = profile
	if p.Model != "" {
		eff.Model = p.Model
	}
	if p.ModelProvider != "" {
		eff.ModelProvider = p.ModelProvider
	}
	if p.ApprovalPolicy != "" {
		eff.ApprovalPolicy = p.ApprovalPolicy
	}
	if p.SandboxMode != "" {
		eff.SandboxMode = p.SandboxMode
	}
	return eff, profile, true
}

// ActiveProvider returns the provider table model_provider names, if any.
func (c Config) ActiveProvider() (ModelProvider, bool) {
	p, ok := c.ModelProviders[c.ModelProvider]
	return p, ok
}

// IsBuiltinProvider reports whether id is one of codex's own providers.
func IsBuiltinProvider(id string) bool {
	for _, b := range BuiltinProviderIDs {
		if b == id {
			return true
		}
	}
	return false
}
