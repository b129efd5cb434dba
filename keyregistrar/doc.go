// Package keyregistrar registers one LiteLLM virtual key with its model allowlist, through
// LiteLLM's key management API and the proxy's master key. It runs in a Kubernetes Job per
// agent (LiteLLM is only reachable on the cluster network, Pulumi runs outside it) and is
// idempotent: running it again with the same input changes nothing.
//
// What Register does, in order:
//
//  1. Waits until LiteLLM answers GET /health/readiness with 200 (on a first deployment
//     LiteLLM starts only after a ChatGPT account is logged in).
//  2. POST /key/generate {"key", "key_alias", "models", "metadata"}: creates the key with
//     the given value.
//  3. If LiteLLM answers that it already exists (400 "Key with alias '…' already exists.
//     Unique key aliases across all keys are required.", or a duplicate-key error): POST
//     /key/update with the same body, which sets the allowlist, alias and metadata.
//  4. If that update answers 404, the alias belongs to another key: the previous value of
//     a rotated key. That key is revoked (POST /key/delete {"key_aliases": [alias]}) and
//     the key generated again.
//  5. GET /key/info?key=… must then show the key with exactly the declared models and
//     alias. A mismatch after a create (LiteLLM answers 200 to a generate whose key value
//     already exists under another alias, without writing anything: BerriAI/litellm#20494)
//     is repaired with one update; any other mismatch fails.
//
// Every request carries "Authorization: Bearer <master key>". Transport errors, timeouts,
// 429 and 5xx answers are retried a bounded number of times with a doubling delay; any
// other answer that is not a success fails at once with LiteLLM's message. The key and the
// master key are never printed; they are also masked in LiteLLM's answers before those are
// logged.
//
// The package uses only the standard library: it is compiled inside the Job's pod from
// source shipped in a ConfigMap (see source.go), like the auth rotator.
package keyregistrar
