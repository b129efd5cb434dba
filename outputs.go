package main

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/components"
	"cloud-codex/config"
)

// exportOutputs publishes what an operator acts on: per agent, the Secrets to create and
// the commands; the device-auth command per account; the LiteLLM URL; and all of it as one
// human-readable "nextSteps". `pulumi stack output --json` is the machine form.
func exportOutputs(ctx *pulumi.Context, stack config.Stack, pool *components.LiteLLMAuthPool, agents []*components.CloudCodexAgent) {
	ctx.Export("namespace", pulumi.String(stack.Namespace))
	ctx.Export("litellmUrl", pool.BaseURL)
	ctx.Export("responsesAlias", pulumi.String(pool.ResponsesAlias))
	ctx.Export("deviceAuthCommands", pool.DeviceAuthCommands)
	ctx.Export("masterKeySecret", pool.MasterKeySecretName)

	agentOutputs := pulumi.Map{}
	for _, a := range agents {
		agentOutputs[a.AgentName] = pulumi.Map{
			"deployment":      a.DeploymentName,
			"pvc":             a.PVCName,
			"configMap":       a.ConfigMapName,
			"model":           a.Model,
			"requiredSecrets": a.RequiredSecrets,
			"secretCommands":  a.SecretCommands,
		}
	}
	ctx.Export("agents", agentOutputs)

	parts := []any{pool.BaseURL, pool.DeviceAuthCommands}
	for _, a := range agents {
		parts = append(parts, a.SecretCommands)
	}
	ctx.Export("nextSteps", pulumi.All(parts...).ApplyT(func(v []any) string {
		return nextSteps(stack, v[0].(string), v[1].([]string), agentCommands(agents, v[2:]))
	}).(pulumi.StringOutput))
}

type agentSteps struct {
	name     string
	commands []string
}

func agentCommands(agents []*components.CloudCodexAgent, resolved []any) []agentSteps {
	out := make([]agentSteps, len(agents))
	for i, a := range agents {
		out[i] = agentSteps{name: a.AgentName, commands: resolved[i].([]string)}
	}
	return out
}

func nextSteps(stack config.Stack, url string, deviceAuth []string, agents []agentSteps) string {
	var b strings.Builder
	// No "key: value" lines: the CLI would display the text as a YAML map.
	fmt.Fprintf(&b, "LiteLLM, the cluster's only ChatGPT-OAuth holder, is at %s\n\n", url)
	b.WriteString("1. Device-auth each ChatGPT account inside the cluster (LiteLLM waits until one exists)\n")
	for _, c := range deviceAuth {
		fmt.Fprintf(&b, "   %s\n", c)
	}
	b.WriteString("\n2. Create each agent's Secrets, replacing the <placeholders>\n")
	for _, a := range agents {
		fmt.Fprintf(&b, "   agent %s\n", a.name)
		for _, c := range a.commands {
			fmt.Fprintf(&b, "     %s\n", c)
		}
	}
	fmt.Fprintf(&b, "\n3. Watch it come up with kubectl get pods -n %s\n", stack.Namespace)
	return b.String()
}
