package contract

// ModelAllowlistAnnotation declares, on an agent's Deployment, the model allowlist of the
// agent's LiteLLM virtual key (a JSON list of model names). It is contract because the
// CloudCodexAgent writes it from the same allowlist its key-registration Job registers,
// and the agent-model-in-key-allowlist rule reads it to check what LiteLLM will enforce.
const ModelAllowlistAnnotation = "cloud-codex.dev/model-allowlist"
