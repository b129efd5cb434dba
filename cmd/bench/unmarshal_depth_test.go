package main

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// BenchmarkUnmarshalDepth measures why a pod spec costs Pulumi more per byte than a flat
// ConfigMap (docs/performance.md, "Where the time goes"): the same 200 string leaves under 1,
// 4, 8 and 12 levels of nested objects, decoded with plugin.UnmarshalProperties, the decoder
// the engine, the providers, the policy pack and the SDK's output resolution all use. For
// every nested object it builds a plain-map copy of the whole subtree (PropertyMap.Mappable)
// to look for a signature key, so the cost grows with depth × size rather than size. A
// Deployment's container fields sit about 8 levels deep.
//
//	go test -run '^$' -bench UnmarshalDepth -benchmem ./cmd/bench/
func BenchmarkUnmarshalDepth(b *testing.B) {
	for _, depth := range []int{1, 4, 8, 12} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			wire, err := plugin.MarshalProperties(nestedLeaves(depth, 200), plugin.MarshalOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := plugin.UnmarshalProperties(wire, plugin.MarshalOptions{KeepSecrets: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// nestedLeaves is a chain of depth-1 single-key objects ending in an object of n strings, so
// every depth carries the same leaves and nearly the same bytes.
func nestedLeaves(depth, n int) resource.PropertyMap {
	m := resource.PropertyMap{}
	for i := range n {
		m[resource.PropertyKey(fmt.Sprintf("key%03d", i))] = resource.NewProperty(fmt.Sprintf("value-%03d", i))
	}
	for range depth - 1 {
		m = resource.PropertyMap{"nested": resource.NewProperty(m)}
	}
	return m
}

func TestNestedLeavesDepth(t *testing.T) {
	for _, depth := range []int{1, 8} {
		m, levels := nestedLeaves(depth, 3), 1
		for v, ok := m["nested"]; ok; v, ok = m["nested"] {
			m, levels = v.ObjectValue(), levels+1
		}
		if levels != depth || len(m) != 3 {
			t.Fatalf("nestedLeaves(%d, 3): %d levels and %d leaves, want %d and 3", depth, levels, len(m), depth)
		}
	}
}
