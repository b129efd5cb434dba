package components

// Validate checks args as NewLiteLLMAuthPool would, without registering anything (stack
// config validation runs it before the first resource).
func (a LiteLLMAuthPoolArgs) Validate() error { return a.withDefaults().validate() }

// EffectiveResponsesAlias is the alias agents use once defaults apply; agents default
// their model to it.
func (a LiteLLMAuthPoolArgs) EffectiveResponsesAlias() string { return a.withDefaults().ResponsesAlias }
