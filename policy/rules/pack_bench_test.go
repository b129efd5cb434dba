package rules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"cloud-codex/contract"
)

// The whole pack over a stack of n agents, as the engine drives it: every resource rule on
// every resource, then every stack rule once over all of them (issue 11: the policy pack's
// share of a preview; figures in docs/performance.md).
//
//	go test -run '^$' -bench Pack -benchmem ./policy/
func BenchmarkPack(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			resources := stackToAnalyzer(b, benchStack(b, n), secretPaths{"data": true})
			ctx := context.Background()
			m := discard{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// A fresh slice per run, as every AnalyzeStack call of the engine gets one
				// (the pack converts a given slice once and reuses it across its rules).
				resources := slices.Clone(resources)
				for _, p := range Policies() {
					switch p := p.(type) {
					case policyx.StackValidationPolicy:
						if err := p.Validate(ctx, policyx.StackValidationArgs{Manager: m, Resources: resources}); err != nil {
							b.Fatal(err)
						}
					case policyx.ResourceValidationPolicy:
						for _, r := range resources {
							if err := p.Validate(ctx, policyx.ResourceValidationArgs{Manager: m, Resource: r}); err != nil {
								b.Fatal(err)
							}
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/agent")
		})
	}
}

// benchStack is the compliant sample stack with n agents, each with what the real
// component adds besides its Deployment, PVC and codex config: the scripts ConfigMap (the
// real scripts), the key Secret and the key registration Job.
func benchStack(tb testing.TB, n int) *Stack {
	scripts := map[string]string{}
	files, err := filepath.Glob("../../components/scripts/agent-*")
	if err != nil || len(files) == 0 {
		tb.Fatalf("agent scripts: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		scripts[filepath.Base(f)] = string(data)
	}
	chain := []string{contract.CloudCodexAgentType}
	rs := poolResources(tb)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("agent%03d", i)
		parent := agentURN(name)
		rs = append(rs, agentResources(tb, name)...)
		rs = append(rs,
			configMapRes(chain, parent, name+"-scripts", scripts),
			secretRes(chain, parent, name+"-litellm-key", map[string]string{"key": "sk-" + name + "0123456789abcdef"}),
			workloadRes(tb, "Job", name+"-key", chain, parent, fmt.Sprintf(`
containers:
- name: register
  image: gcr.io/distroless/static-debian12:nonroot
  command: [/registrar-bin/litellm-key-registrar, --url, %q, --alias, %s]
  env:
  - name: LITELLM_MASTER_KEY
    valueFrom: {secretKeyRef: {name: litellm-master-key, key: LITELLM_MASTER_KEY}}
  - name: LITELLM_KEY
    valueFrom: {secretKeyRef: {name: %s-litellm-key, key: key}}
  volumeMounts: [{name: bin, mountPath: /registrar-bin}]
volumes:
- {name: bin, emptyDir: {}}
`, testBaseURL, name, name)),
		)
	}
	return NewStack(rs)
}

type discard struct{}

func (discard) ReportViolation(string, string) {}

// The bench stack is compliant: a benchmark of a failing pack would measure messages.
func TestBenchStackIsCompliant(t *testing.T) {
	if got := runPack(t, stackToAnalyzer(t, benchStack(t, 3), secretPaths{"data": true})); len(got) != 0 {
		t.Fatalf("bench stack: %v", got)
	}
}
