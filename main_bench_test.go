package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program construction under mocks, per agent (issue 11: ≤ 1 ms per agent; figures in
// docs/performance.md). It runs the whole program (config, namespace, auth pool, key
// registrar, N agents, outputs) against a mock monitor that echoes inputs, so it measures
// what the program itself does per agent: config decoding and validation, building the
// args, rendering config.toml, and the SDK's marshalling of every input.
//
//	go test -run '^$' -bench Program -benchmem .
func BenchmarkProgram(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			config := benchConfig(n)
			env, err := json.Marshal(config)
			if err != nil {
				b.Fatal(err)
			}
			b.Setenv(pulumi.EnvConfig, string(env))
			b.Setenv("KUBECONFIG", "")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				err := pulumi.RunErr(program, pulumi.WithMocks("cloud-codex", "bench", echoMocks{}), func(info *pulumi.RunInfo) {
					info.Config = config
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/agent")
		})
	}
}

// benchConfig is the dev stack's config with n agents (as make bench deploys them).
func benchConfig(n int) map[string]string {
	agents := make([]map[string]any, n)
	for i := range agents {
		agents[i] = map[string]any{
			"name":     fmt.Sprintf("agent%03d", i),
			"registry": map[string]any{"apiUrl": "https://api.commonly.example", "podId": "pod-bench"},
		}
	}
	raw, _ := json.Marshal(agents)
	return map[string]string{
		"cloud-codex:namespace": "cloud-codex",
		"cloud-codex:cluster":   `{"local": true, "skipAwait": true}`,
		"cloud-codex:litellm":   `{"accounts": {"inRotation": [1, 2], "reserved": [3]}, "database": {"inCluster": {}}}`,
		"cloud-codex:agents":    string(raw),
	}
}

// echoMocks returns every resource's inputs as its outputs (random passwords get a result).
type echoMocks struct{}

func (echoMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.TypeToken == "random:index/randomPassword:RandomPassword" {
		out := args.Inputs.Copy()
		out["result"] = resource.MakeSecret(resource.NewStringProperty("AbCdEf0123456789"))
		return args.Name + "-id", out, nil
	}
	return args.Name + "-id", args.Inputs, nil
}

func (echoMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) { return args.Args, nil }
