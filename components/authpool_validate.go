package components

import "fmt"

// Validate checks args as NewLiteLLMAuthPool would, without registering anything (stack
// config validation runs it before the first resource).
func (a LiteLLMAuthPoolArgs) Validate() error { return a.withDefaults().validate() }

// EffectiveResponsesAlias is the alias agents use once defaults apply; agents default
// their model to it.
func (a LiteLLMAuthPoolArgs) EffectiveResponsesAlias() string { return a.withDefaults().ResponsesAlias }

// PoolSecrets are the Secrets only the pool may read, by name, each with what it holds:
// the master key (it mints keys and lifts any allowlist), the salt key, the database URL
// (and the dev Postgres password), and every provider-path model's API key (an agent
// holding it would call that provider past LiteLLM and its allowlist). Stack validation
// refuses an agent that references one of them.
func (a LiteLLMAuthPoolArgs) PoolSecrets() map[string]string {
	d := a.withDefaults()
	n := authPoolNamesFor(d)
	secrets := map[string]string{
		n.masterKey:      "LiteLLM's master key",
		n.saltKey:        "LiteLLM's salt key",
		n.databaseSecret: "LiteLLM's database URL",
	}
	if n.database != nil {
		secrets[n.database.password] = "the pool's Postgres password"
	}
	for _, m := range d.Models {
		if m.APIKeySecret != nil && m.APIKeySecret.Name != "" {
			secrets[m.APIKeySecret.Name] = fmt.Sprintf("the provider key of model %q (%s)", m.Alias, m.Upstream)
		}
	}
	return secrets
}

// validateImage: the image must be a pinned reference, and new enough for the chatgpt/
// models the pool serves (defaulted args).
func (a LiteLLMAuthPoolArgs) validateImage() []error {
	if err := CheckPinnedImage("image", a.Image, DefaultLiteLLMImage); err != nil {
		return []error{err}
	}
	if err := checkLiteLLMImageServesChatGPT("image", a.Image, a.Models); err != nil {
		return []error{err}
	}
	return nil
}

// ObjectNames are the Kubernetes names of the pool's objects (every kind), for stack
// validation to refuse a pool name whose objects would collide with an agent's.
func (a LiteLLMAuthPoolArgs) ObjectNames() []string {
	n := authPoolNamesFor(a.withDefaults())
	names := []string{n.deployment, n.service, n.networkPolicy, n.masterKey, n.saltKey, n.config, n.source,
		n.scripts, n.authClaim, n.databaseSecret}
	if db := n.database; db != nil {
		names = append(names, db.postgres, db.password, db.networkPolicy)
	}
	return names
}

// ResponsesAliases are the responses-path aliases the pool serves once defaults apply: the
// only models an agent may ask for.
func (a LiteLLMAuthPoolArgs) ResponsesAliases() []string {
	var out []string
	for _, m := range a.withDefaults().Models {
		if m.Path == AuthPoolResponsesPath {
			out = append(out, m.Alias)
		}
	}
	return out
}

// WithDefaults returns the args as NewLiteLLMAuthPool uses them, every default filled in
// (withDefaults), for callers that show effective values, such as the config reference's
// test.
func (a LiteLLMAuthPoolArgs) WithDefaults() LiteLLMAuthPoolArgs { return a.withDefaults() }
