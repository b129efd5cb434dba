package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"cloud-codex/litellmconfig"
)

// settings is what the stand-in takes from config.yaml and the environment at start.
type settings struct {
	// models maps each alias (model_name) to its upstream litellm_params.model.
	models map[string]string
	// aliases lists model_name values in config order (for /v1/models).
	aliases []string
	// masterKey authenticates the key API and may call any model.
	masterKey string
	// databaseURL is set when LiteLLM would connect its database (virtual keys need one).
	databaseURL string
	// genericAPI is true when litellm_settings.callbacks has "generic_api".
	genericAPI bool
	// ignored lists config the stand-in reads but does not act on, for the start-up log.
	ignored []string
}

// envRefPrefix is LiteLLM's syntax for a value read from the environment when the config
// is loaded (litellm/proxy/proxy_server.py, ProxyConfig.load_config resolves
// "os.environ/NAME" values with get_secret).
const envRefPrefix = "os.environ/"

// resolve returns v, or the environment variable it references.
func resolve(v string, getenv func(string) string) string {
	if name, ok := strings.CutPrefix(v, envRefPrefix); ok {
		return getenv(name)
	}
	return v
}

// loadSettings reads config.yaml with the project's own model (litellmconfig), so the
// stand-in sees exactly what the LiteLLMAuthPool component renders.
func loadSettings(path string, getenv func(string) string) (settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return settings{}, fmt.Errorf("read LiteLLM config %s: %w", path, err)
	}
	cfg, err := litellmconfig.Parse(string(data))
	if err != nil {
		return settings{}, fmt.Errorf("%s: %w", path, err)
	}
	s := settings{models: map[string]string{}}
	var problems []string
	for i, m := range cfg.ModelList {
		switch {
		case m.ModelName == "":
			problems = append(problems, fmt.Sprintf("model_list[%d] has no model_name", i))
		case !strings.HasPrefix(m.LiteLLMParams.Model, litellmconfig.ChatGPTPrefix):
			// The pool only routes to LiteLLM's chatgpt provider; other providers are not
			// implemented, and silently dropping the entry would hide that.
			problems = append(problems, fmt.Sprintf("model_list[%d] (%s) maps to %q: the LiteLLM stand-in implements only the %s provider",
				i, m.ModelName, m.LiteLLMParams.Model, litellmconfig.ChatGPTPrefix))
		default:
			if _, dup := s.models[m.ModelName]; dup {
				// Real LiteLLM load-balances between deployments of one model_name; the
				// pool never declares two.
				problems = append(problems, fmt.Sprintf("model_name %q appears twice: load balancing between deployments is not implemented by the stand-in", m.ModelName))
				continue
			}
			s.models[m.ModelName] = m.LiteLLMParams.Model
			s.aliases = append(s.aliases, m.ModelName)
		}
	}
	for _, cb := range cfg.LiteLLMSettings.Callbacks {
		if cb != "generic_api" {
			problems = append(problems, fmt.Sprintf("litellm_settings.callbacks has %q: the stand-in implements only generic_api", cb))
		}
	}
	s.genericAPI = slices.Contains(cfg.LiteLLMSettings.Callbacks, "generic_api")

	// litellm/proxy/proxy_server.py, ProxyConfig.load_config: master_key =
	// general_settings.get("master_key", get_secret("LITELLM_MASTER_KEY")), an
	// "os.environ/" value resolved from the environment.
	s.masterKey = resolve(cfg.GeneralSettings.MasterKey, getenv)
	if s.masterKey == "" {
		s.masterKey = getenv("LITELLM_MASTER_KEY")
	}
	if s.masterKey == "" {
		// Without a master key the real proxy runs with no authentication at all; this system
		// never does, so the stand-in refuses instead of mirroring an open proxy.
		problems = append(problems, "no master key: set general_settings.master_key (os.environ/LITELLM_MASTER_KEY) and LITELLM_MASTER_KEY")
	}
	// Same function: database_url = general_settings.get("database_url"), resolved with
	// get_secret when it is an "os.environ/" reference; proxy_cli.py uses DATABASE_URL when
	// the config has none.
	s.databaseURL = resolve(cfg.GeneralSettings.DatabaseURL, getenv)
	if s.databaseURL == "" {
		s.databaseURL = getenv("DATABASE_URL")
	}

	if n := len(cfg.RouterSettings.Fallbacks); n > 0 {
		s.ignored = append(s.ignored, fmt.Sprintf("router_settings.fallbacks (%d entries): the stand-in never falls back to another model", n))
	}
	if cfg.RouterSettings.NumRetries > 0 {
		s.ignored = append(s.ignored, fmt.Sprintf("router_settings.num_retries=%d: the stand-in sends each request upstream once", cfg.RouterSettings.NumRetries))
	}
	if len(problems) > 0 {
		return settings{}, fmt.Errorf("%s: %s", path, errors.New(strings.Join(problems, "; ")))
	}
	if len(s.models) == 0 {
		return settings{}, fmt.Errorf("%s: model_list is empty; the pool always declares its chatgpt/ aliases", path)
	}
	return s, nil
}
