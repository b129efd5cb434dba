package config

// LiteLLM is the litellm key; see components.LiteLLMAuthPoolArgs for meanings and defaults.
type LiteLLM struct {
	Name             string       `json:"name"`
	Image            string       `json:"image"`
	Resources        *Resources   `json:"resources"`
	Models           []Model      `json:"models"`
	ResponsesAlias   string       `json:"responsesAlias"`
	Accounts         Accounts     `json:"accounts"`
	RotationInterval string       `json:"rotationInterval"`
	AuthStorage      AgentStorage `json:"authStorage"`
	Database         Database     `json:"database"`
	CodexVersion     string       `json:"codexVersion"`
	Placement        Placement    `json:"placement"`
	Upstream         Upstream     `json:"upstream"`
}

// Upstream overrides OpenAI's endpoints (components.AuthPoolUpstream).
type Upstream struct {
	ChatGPTAPIBase string `json:"chatgptApiBase"`
	OAuthTokenURL  string `json:"oauthTokenUrl"`
}

// Accounts are the ChatGPT account numbers (auth-N.json) the rotator uses or keeps aside.
type Accounts struct {
	InRotation []int `json:"inRotation"`
	Reserved   []int `json:"reserved"`
}

// Model maps an alias to an upstream model on an API path ("responses" or "chat").
type Model struct {
	Alias     string   `json:"alias"`
	Upstream  string   `json:"upstream"`
	Path      string   `json:"path"`
	Fallbacks []string `json:"fallbacks"`
	// APIKeySecret and APIBase: a provider-path model's key (from a Secret) and base URL.
	APIKeySecret *SecretRef `json:"apiKeySecret"`
	APIBase      string     `json:"apiBase"`
}

// Database is where LiteLLM keeps virtual keys: an existing DATABASE_URL Secret, or (dev)
// an in-cluster Postgres.
type Database struct {
	ExistingSecret *SecretRef         `json:"existingSecret"`
	InCluster      *InClusterDatabase `json:"inCluster"`
}

// InClusterDatabase is the dev Postgres.
type InClusterDatabase struct {
	StorageSize  string `json:"storageSize"`
	StorageClass string `json:"storageClass"`
}
