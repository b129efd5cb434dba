package config

import (
	"encoding/json"
	"os"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// FromContext collects the program's configuration. The Go SDK can look a key up but not
// list keys; listing is needed to reject unknown ones, so the names come from the engine's
// PULUMI_CONFIG (the same source the SDK reads) and the values from the context. secret are
// the keys set as secrets (`pulumi config set --secret`; the SDK's PULUMI_CONFIG_SECRET_KEYS,
// ctx.IsConfigSecret), which Load refuses: the values arrive decrypted, and this program
// would write them in plaintext into the objects it declares and the stack's state.
func FromContext(ctx *pulumi.Context) (values map[string]string, secret []string) {
	values = map[string]string{}
	var all map[string]string
	if raw := os.Getenv(pulumi.EnvConfig); raw != "" && json.Unmarshal([]byte(raw), &all) == nil {
		for k := range all {
			if v, ok := ctx.GetConfig(k); ok {
				values[k] = v
				if ctx.IsConfigSecret(k) {
					secret = append(secret, k)
				}
			}
		}
	}
	sort.Strings(secret)
	return values, secret
}
