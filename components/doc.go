// Package components declares this project's Pulumi components. Files are grouped by the
// component they build, so a reader finds one component in one place:
//
//   - agent*.go: CloudCodexAgent, its shared scripts ConfigMap (CloudCodexAgentScripts),
//     its LiteLLM key and the Job that registers it, and the agents' egress policy;
//   - authpool*.go: LiteLLMAuthPool;
//   - devdatabase.go: DevDatabase, the dev-only Postgres that main.go declares beside a pool
//     (NewPoolDevDatabase) when litellm.database.inCluster is set; the pool reads its URL
//     Secret as database.existingSecret (LiteLLMAuthPoolArgs.WithDevDatabase);
//   - keyregistrar*.go: LiteLLMKeyRegistrar, the registrar's shared source ConfigMap;
//   - namespace.go: the stack's namespace (a plain Namespace, not a component);
//   - the rest is shared by them: labels, metadata, placement, resources, Secret references,
//     sk- key Secrets, state PVC options, pinned images and argument checks.
//
// Pod-spec pieces (env, mounts, security contexts, the shipped-Go build step) are in
// podspec, which imports nothing from here; the pre-flight check of the cluster's
// Kubernetes version is serverversion (not a component). Type tokens, annotations and env names the
// policy pack also reads are in package contract.
package components
