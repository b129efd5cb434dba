// Package info maps terraform-provider-random onto Pulumi's random package so the rebuilt
// plugin answers with exactly the tokens pulumi-random/sdk/v4 asks for.
package info

import (
	"unicode"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is the pulumi-random release this plugin stands in for (set by -ldflags).
var Version = "4.21.1"

// resourceToken is the SDK's token scheme: random:index/<lowerCamel>:<Type>.
func resourceToken(typ string) string {
	file := string(unicode.ToLower(rune(typ[0]))) + typ[1:]
	return "random:index/" + file + ":" + typ
}

// Provider describes the bridged provider. metadata is the bridge-metadata.json tfgen
// wrote (nil while tfgen itself runs).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	resources := map[string]string{
		"random_bytes":    "RandomBytes",
		"random_id":       "RandomId",
		"random_integer":  "RandomInteger",
		"random_password": "RandomPassword",
		"random_pet":      "RandomPet",
		"random_shuffle":  "RandomShuffle",
		"random_string":   "RandomString",
		"random_uuid":     "RandomUuid",
		"random_uuid4":    "RandomUuid4",
		"random_uuid7":    "RandomUuid7",
	}
	info := tfbridge.ProviderInfo{
		Name:         "random",
		P:            pftfbridge.ShimProvider(shim.NewProvider()),
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		License:      "Apache-2.0",
		Repository:   "https://github.com/pulumi/pulumi-random",
		Version:      Version,
		Resources:    map[string]*tfbridge.ResourceInfo{},
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}
	for tf, typ := range resources {
		info.Resources[tf] = &tfbridge.ResourceInfo{Tok: tokenType(resourceToken(typ))}
	}
	return info
}
