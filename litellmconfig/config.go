// Package litellmconfig is the one typed model of LiteLLM's proxy config.yaml. The
// LiteLLMAuthPool component renders it; the policy pack parses it back to learn which
// aliases map to which upstream models.
package litellmconfig

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FileName is the key of config.yaml in the LiteLLM ConfigMap.
const FileName = "config.yaml"

// ChatGPTPrefix is LiteLLM's ChatGPT-subscription provider. The responses path needs the
// unprefixed form chatgpt/<model>; chatgpt/responses/<model> leaks "responses/" upstream
// on that path and fails with 400.
const (
	ChatGPTPrefix          = "chatgpt/"
	ChatGPTResponsesPrefix = "chatgpt/responses/"
)

// EnvRef is LiteLLM's syntax for a value read from the environment at load time.
func EnvRef(name string) string { return "os.environ/" + name }

// Config is LiteLLM's config.yaml.
type Config struct {
	ModelList       []Model         `yaml:"model_list"`
	RouterSettings  RouterSettings  `yaml:"router_settings"`
	LiteLLMSettings LiteLLMSettings `yaml:"litellm_settings"`
	GeneralSettings GeneralSettings `yaml:"general_settings"`
}

// Model maps an alias clients ask for to an upstream model.
type Model struct {
	ModelName     string        `yaml:"model_name"`
	LiteLLMParams LiteLLMParams `yaml:"litellm_params"`
}

// LiteLLMParams is the upstream side of a model entry.
type LiteLLMParams struct {
	Model string `yaml:"model"`
	// APIKey is another provider's key, only ever an os.environ/ reference (EnvRef): the
	// value comes from a Secret in the LiteLLM container's environment.
	APIKey string `yaml:"api_key,omitempty"`
	// APIBase is another provider's base URL (Azure, self-hosted endpoints).
	APIBase string `yaml:"api_base,omitempty"`
}

// RouterSettings holds fallbacks and retries.
type RouterSettings struct {
	// Fallbacks is LiteLLM's list of single-key maps: [{alias: [fallback, ...]}].
	Fallbacks  []map[string][]string `yaml:"fallbacks,omitempty"`
	NumRetries int                   `yaml:"num_retries"`
}

// LiteLLMSettings are library-wide switches.
type LiteLLMSettings struct {
	DropParams bool `yaml:"drop_params"`
	// Callbacks are logging callbacks, e.g. "generic_api" (POSTs every request's
	// StandardLoggingPayload to $GENERIC_LOGGER_ENDPOINT; the auth rotator learns about
	// 429s that way).
	Callbacks []string `yaml:"callbacks,omitempty"`
}

// GeneralSettings are proxy settings; secrets appear only as os.environ/ references.
type GeneralSettings struct {
	MasterKey   string `yaml:"master_key"`
	DatabaseURL string `yaml:"database_url,omitempty"`
}

// Render encodes c as YAML.
func Render(c Config) (string, error) {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return "", fmt.Errorf("litellm config.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("litellm config.yaml: %w", err)
	}
	return b.String(), nil
}

// Parse decodes a config.yaml.
func Parse(data string) (Config, error) {
	var c Config
	if err := yaml.Unmarshal([]byte(data), &c); err != nil {
		return Config{}, fmt.Errorf("litellm config.yaml: %w", err)
	}
	return c, nil
}

// Upstream returns the upstream model an alias maps to.
func (c Config) Upstream(alias string) (string, bool) {
	for _, m := range c.ModelList {
		if m.ModelName == alias {
			return m.LiteLLMParams.Model, true
		}
	}
	return "", false
}

// IsResponsesPathModel reports whether upstream is an unprefixed ChatGPT model, the only
// kind a codex agent (which speaks the Responses API) may be routed to.
func IsResponsesPathModel(upstream string) bool {
	return strings.HasPrefix(upstream, ChatGPTPrefix) && !strings.HasPrefix(upstream, ChatGPTResponsesPrefix)
}
