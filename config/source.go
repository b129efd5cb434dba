package config

import (
	"encoding/json"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// FromContext collects the program's configuration. The Go SDK can look a key up but not
// list keys; listing is needed to reject unknown ones, so the names come from the engine's
// PULUMI_CONFIG (the same source the SDK reads) and the values from the context.
func FromContext(ctx *pulumi.Context) map[string]string {
	values := map[string]string{}
	var all map[string]string
	if raw := os.Getenv(pulumi.EnvConfig); raw != "" && json.Unmarshal([]byte(raw), &all) == nil {
		for k := range all {
			if v, ok := ctx.GetConfig(k); ok {
				values[k] = v
			}
		}
	}
	return values
}
