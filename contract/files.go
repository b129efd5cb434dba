package contract

// AuthClaimSuffix ends the name of the LiteLLMAuthPool's credential claim (<pool> +
// suffix). Contract because a claim outside the stack cannot be inspected: the pack
// recognises another stack's auth claim by this name alone.
const AuthClaimSuffix = "-chatgpt-auth"

// The pool's Secrets are found by the pack through the graph (what the holder reads) and,
// for a pool in another stack, by their keys: the pool stores each secret under the key
// named like the env variable LiteLLM reads it from (MasterKeyEnv, SaltKeyEnv,
// DatabaseURLEnv in env.go). Their Secret names (<pool>-master-key, ...) are the
// component's own business: the pack never reads them, so they are not contract.
