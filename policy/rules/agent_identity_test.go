package rules

import (
	"testing"

	"cloud-codex/contract"
)

// setEnv sets (or with value "" and from != nil, replaces) an env var of the first container.
func setEnv(name string, entry map[string]any) func(map[string]any) {
	return func(props map[string]any) {
		c := podSpecOf(props)["containers"].([]any)[0].(map[string]any)
		var env []any
		for _, e := range c["env"].([]any) {
			if e.(map[string]any)["name"] != name {
				env = append(env, e)
			}
		}
		if entry != nil {
			entry["name"] = name
			env = append(env, entry)
		}
		c["env"] = env
	}
}

func TestAgentIdentity(t *testing.T) {
	stranger := func(t *testing.T, name, agentName, id string) *Resource {
		return workloadRes(t, "Deployment", name, nil, "", `
containers:
- name: app
  image: x
  env: [{name: COMMONLY_AGENT_NAME, value: `+agentName+`}, {name: COMMONLY_INSTANCE_ID, value: "`+id+`"}]
`)
	}
	for _, tc := range []struct {
		name  string
		stack func(t *testing.T) *Stack
		want  map[string][]string
	}{
		{"dev stack", func(t *testing.T) *Stack { return devStack(t) }, nil},
		{"agent name cloud-codex", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, setEnv(contract.AgentNameEnv, map[string]any{"value": "cloud-codex"}))
		}, map[string][]string{aliceDeployURN: {`containers[0] "agent" sets COMMONLY_AGENT_NAME="cloud-codex"; the platform only knows "codex"`}}},
		{"agent name from a ConfigMap", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, setEnv(contract.AgentNameEnv, map[string]any{
				"valueFrom": map[string]any{"configMapKeyRef": map[string]any{"name": "c", "key": "k"}}}))
		}, map[string][]string{aliceDeployURN: {`takes COMMONLY_AGENT_NAME from ConfigMap "c" key "k"; it must be the literal "codex"`}}},
		{"agent name missing", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, setEnv(contract.AgentNameEnv, nil))
		}, map[string][]string{aliceDeployURN: {`no container sets COMMONLY_AGENT_NAME="codex"`}}},
		{"instance id missing", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, setEnv(contract.InstanceIDEnv, nil))
		}, map[string][]string{aliceDeployURN: {"no container sets COMMONLY_INSTANCE_ID"}}},
		{"instance id empty", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, setEnv(contract.InstanceIDEnv, map[string]any{"value": " "}))
		}, map[string][]string{aliceDeployURN: {"sets an empty COMMONLY_INSTANCE_ID"}}},
		{"instance id from the pod name", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, setEnv(contract.InstanceIDEnv, map[string]any{
				"valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.name"}}}))
		}, map[string][]string{aliceDeployURN: {"must be a literal"}}},
		{"instance id not known yet", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), aliceDeployURN, setEnv(contract.InstanceIDEnv, map[string]any{"value": unknownValue}))
		}, nil},
		{"two agents with one id", func(t *testing.T) *Stack {
			return mutate(t, devStack(t), bobDeployURN, setEnv(contract.InstanceIDEnv, map[string]any{"value": "alice"}))
		}, map[string][]string{
			aliceDeployURN: {`Deployment "alice" uses COMMONLY_INSTANCE_ID "alice", which Deployment "bob" also uses`},
			bobDeployURN:   {`Deployment "bob" uses COMMONLY_INSTANCE_ID "alice", which Deployment "alice" also uses`},
		}},
		{"a workload outside the agents registering as codex with an agent's id", func(t *testing.T) *Stack {
			return devStack(t, stranger(t, "impostor", "codex", "bob"))
		}, map[string][]string{
			bobDeployURN:                          {"which Deployment \"impostor\" also uses"},
			childURN(nil, kubeDeploy, "impostor"): {"which Deployment \"bob\" also uses"},
		}},
		{"a workload outside the agents registering as codex without an id", func(t *testing.T) *Stack {
			return devStack(t, stranger(t, "impostor", "codex", ""))
		}, map[string][]string{childURN(nil, kubeDeploy, "impostor"): {"sets an empty COMMONLY_INSTANCE_ID"}}},
		{"another kind of agent is not judged", func(t *testing.T) *Stack {
			return devStack(t, stranger(t, "other", "claude", "alice"))
		}, nil},
		{"an agent's Job is not an agent Deployment", func(t *testing.T) *Stack {
			return devStack(t, workloadRes(t, "Job", "alice-register-key", agentChain, agentURN("alice"), `
containers: [{name: register, image: curlimages/curl}]
`))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertViolations(t, CheckAgentIdentity(tc.stack(t)), tc.want)
		})
	}
}
