package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"cloud-codex/internal/gosource"
)

// shippedSourceData is the data of a ConfigMap that ships a Go source tree, one key per
// file, for a podspec.ShippedGo build to mount item by item (ConfigMap keys cannot hold
// the tree's slashes, so each file's key and path differ).
func shippedSourceData(files []gosource.File) pulumi.StringMap {
	data := pulumi.StringMap{}
	for _, f := range files {
		data[f.Key] = pulumi.String(f.Content)
	}
	return data
}
