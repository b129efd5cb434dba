// Command pulumi-tfgen-random writes the random package's schema.json and
// bridge-metadata.json, which the provider plugin embeds. Run with
// `schema --skip-examples --out DIR`: example conversion needs converter plugins that
// cannot be fetched offline.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"cloud-codex/tools/random-provider/info"
)

func main() { tfgen.Main("random", info.Provider(nil)) }
