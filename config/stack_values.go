package config

// withStackValues hands every component the values it takes from the stack rather than
// from its own key: the namespace, skipAwait, and the agents' default model (the pool's
// responses-path alias). Their own defaults stay the components' (withDefaults), applied
// in one place.
func (s Stack) withStackValues() Stack {
	skipAwait := s.SkipAwait()
	s.LiteLLM.Namespace, s.LiteLLM.SkipAwait = s.Namespace, skipAwait
	s.Egress.Namespace, s.Egress.SkipAwait = s.Namespace, skipAwait
	defaultModel := s.LiteLLM.EffectiveResponsesAlias()
	for i := range s.Agents {
		a := &s.Agents[i]
		a.Namespace, a.SkipAwait = s.Namespace, skipAwait
		a.LiteLLM.DefaultModel = defaultModel
	}
	return s
}
