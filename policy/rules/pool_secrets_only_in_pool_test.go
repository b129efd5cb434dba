package rules

import (
	"testing"

	"cloud-codex/contract"
	"cloud-codex/keyregistrar"
)

// withPoolSecrets gives the sample pool's holder the three secrets LiteLLM reads, and the
// pool its database workload reading its own password Secret.
func withPoolSecrets(t *testing.T, extra ...*Resource) *Stack {
	s := devStack(t, append([]*Resource{
		secretRes(poolChain, poolURN, "litellm-master-key", map[string]string{contract.MasterKeyEnv: "sk-master0123456789"}),
		secretRes(poolChain, poolURN, "litellm-salt-key", map[string]string{contract.SaltKeyEnv: "sk-salt0123456789"}),
		secretRes(poolChain, poolURN, "litellm-database-url", map[string]string{contract.DatabaseURLEnv: "postgresql://x"}),
		secretRes(poolChain, poolURN, "litellm-postgres", map[string]string{"password": "p"}),
	}, extra...)...)
	return mutate(t, s, poolDeployURN, func(p map[string]any) {
		c := p["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
		c["env"] = append(c["env"].([]any),
			map[string]any{"name": "LITELLM_SALT_KEY", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "litellm-salt-key", "key": contract.SaltKeyEnv}}},
			map[string]any{"name": "DATABASE_URL", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "litellm-database-url", "key": contract.DatabaseURLEnv}}},
		)
	})
}

// keyJob is an agent's key-registration Job reading the master key as the component does.
func keyJob(t *testing.T, name, pod string) *Resource {
	return workloadRes(t, "Job", name, agentChain, agentURN("alice"), pod)
}

const registrarPod = `
containers:
- name: register
  image: gcr.io/distroless/static
  env:
  - {name: ` + keyregistrar.EnvMasterKey + `, valueFrom: {secretKeyRef: {name: litellm-master-key, key: LITELLM_MASTER_KEY}}}
  - {name: ` + keyregistrar.EnvKey + `, valueFrom: {secretKeyRef: {name: alice-litellm-key, key: api-key}}}
`

func TestPoolSecretsOnlyInPool(t *testing.T) {
	agentDeploy := func(pod string) *Resource {
		return workloadRes(t, "Deployment", "helper", agentChain, agentURN("alice"), pod, recreate)
	}
	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  map[string][]string
	}{
		{"dev stack with the registration Job", func(t *testing.T) *Stack {
			return withPoolSecrets(t, keyJob(t, "alice-key", registrarPod))
		}, nil},
		{"the pool's database reads its own password", func(t *testing.T) *Stack {
			return withPoolSecrets(t, workloadRes(t, "StatefulSet", "pg", poolChain, poolURN, `
containers: [{name: pg, image: postgres, env: [{name: POSTGRES_PASSWORD, valueFrom: {secretKeyRef: {name: litellm-postgres, key: password}}}]}]
`))
		}, nil},
		{"an agent reads the master key through an MCP secretEnv", func(t *testing.T) *Stack {
			return withPoolSecrets(t, agentDeploy(`
containers: [{name: a, image: node, env: [{name: GITHUB_TOKEN, valueFrom: {secretKeyRef: {name: litellm-master-key, key: LITELLM_MASTER_KEY}}}]}]
`))
		}, map[string][]string{childURN(agentChain, kubeDeploy, "helper"): {
			`env GITHUB_TOKEN (valueFrom.secretKeyRef key "LITELLM_MASTER_KEY") reads Secret "cloud-codex/litellm-master-key": LiteLLM's master key`}}},
		{"envFrom the salt key", func(t *testing.T) *Stack {
			return withPoolSecrets(t, agentDeploy(`
containers: [{name: a, image: node, envFrom: [{secretRef: {name: litellm-salt-key}}]}]
`))
		}, map[string][]string{childURN(agentChain, kubeDeploy, "helper"): {`envFrom reads Secret "cloud-codex/litellm-salt-key": LiteLLM's salt key`}}},
		{"a volume of the database URL", func(t *testing.T) *Stack {
			return withPoolSecrets(t, agentDeploy(`
containers: [{name: a, image: node, volumeMounts: [{name: v, mountPath: /db}]}]
volumes: [{name: v, secret: {secretName: litellm-database-url}}]
`))
		}, map[string][]string{childURN(agentChain, kubeDeploy, "helper"): {`volume "v" reads Secret "cloud-codex/litellm-database-url": LiteLLM's database URL`}}},
		{"a projected master key in a top-level CronJob", func(t *testing.T) *Stack {
			return withPoolSecrets(t, workloadRes(t, "CronJob", "rotate", nil, "", `
containers: [{name: a, image: busybox, volumeMounts: [{name: v, mountPath: /k}]}]
volumes: [{name: v, projected: {sources: [{secret: {name: litellm-master-key}}]}}]
`))
		}, map[string][]string{childURN(nil, "kubernetes:batch/v1:CronJob", "rotate"): {`projected volume "v" reads Secret "cloud-codex/litellm-master-key"`}}},
		{"a registration Job may not read the salt key", func(t *testing.T) *Stack {
			return withPoolSecrets(t, keyJob(t, "alice-key", registrarPod+`
  - {name: SALT, valueFrom: {secretKeyRef: {name: litellm-salt-key, key: LITELLM_SALT_KEY}}}
`))
		}, map[string][]string{childURN(agentChain, "kubernetes:batch/v1:Job", "alice-key"): {
			"a key-registration Job may read only the master key", `env SALT`}}},
		{"a registration Job may not mount the master key", func(t *testing.T) *Stack {
			return withPoolSecrets(t, keyJob(t, "alice-key", `
containers: [{name: register, image: x, volumeMounts: [{name: v, mountPath: /k}]}]
volumes: [{name: v, secret: {secretName: litellm-master-key}}]
`))
		}, map[string][]string{childURN(agentChain, "kubernetes:batch/v1:Job", "alice-key"): {`volume "v" reads Secret "cloud-codex/litellm-master-key"`}}},
		{"the pool's database may not read the master key", func(t *testing.T) *Stack {
			return withPoolSecrets(t, workloadRes(t, "StatefulSet", "pg", poolChain, poolURN, `
containers: [{name: pg, image: postgres, envFrom: [{secretRef: {name: litellm-master-key}}]}]
`))
		}, map[string][]string{childURN(poolChain, "kubernetes:apps/v1:StatefulSet", "pg"): {"it is not the auth pool's holder", "master key"}}},
		{"another stack's master key, by its key", func(t *testing.T) *Stack {
			return withPoolSecrets(t, agentDeploy(`
containers: [{name: a, image: node, env: [{name: K, valueFrom: {secretKeyRef: {name: other-master-key, key: LITELLM_MASTER_KEY}}}]}]
`))
		}, map[string][]string{childURN(agentChain, kubeDeploy, "helper"): {
			`reads key "LITELLM_MASTER_KEY" of Secret "other-master-key", which is not in this stack: by its key, LiteLLM's master key of a LiteLLMAuthPool`}}},
		{"an agent's own key and other Secrets are fine", func(t *testing.T) *Stack {
			return withPoolSecrets(t, agentDeploy(`
containers: [{name: a, image: node, env: [{name: GITHUB_TOKEN, valueFrom: {secretKeyRef: {name: alice-github, key: token}}}],
  envFrom: [{secretRef: {name: alice-extra}}]}]
`))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckPoolSecretsOnlyInPool(tc.stack(t)), tc.want)
		})
	}
}
