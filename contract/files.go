package contract

// AuthClaimSuffix ends the name of the LiteLLMAuthPool's credential claim (<pool> +
// suffix). Contract because a claim outside the stack cannot be inspected: the pack
// recognises another stack's auth claim by this name alone.
const AuthClaimSuffix = "-chatgpt-auth"

// Secret names of the LiteLLMAuthPool, derived from the pool's name. Contract because the
// pack names them in its messages and samples, and a workload outside the pool that reads
// them breaks the pool's secrecy (litellm-pool-secrets-only-in-pool).
const (
	MasterKeySecretSuffix   = "-master-key"
	SaltKeySecretSuffix     = "-salt-key"
	DatabaseURLSecretSuffix = "-database-url"
)
