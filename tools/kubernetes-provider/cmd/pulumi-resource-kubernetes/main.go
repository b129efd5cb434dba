// Command pulumi-resource-kubernetes is the kubernetes provider plugin, rebuilt from its Go
// module because plugin downloads are impossible offline. Upstream's main embeds two
// generated, gitignored files the module zip lacks; ../../gen writes them from the
// module's own schema.json and terraform-mapping.json before the build.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
