// Command pulumi-resource-random is the random provider plugin, rebuilt from
// terraform-provider-random and the Pulumi bridge because plugin downloads are impossible
// offline. schema.json and bridge-metadata.json come from pulumi-tfgen-random.
package main

import (
	"context"
	_ "embed"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"cloud-codex/tools/random-provider/info"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

func main() {
	pftfbridge.Main(context.Background(), "random", info.Provider(bridgeMetadata),
		pftfbridge.ProviderMetadata{PackageSchema: schema})
}
