package keyregistrar

import (
	"embed"

	"cloud-codex/internal/gosource"
)

// The registrar ships to its Job as source, like the auth rotator (see internal/gosource):
// an init container of a pinned official Go image compiles it from a ConfigMap.
//
//go:embed client.go doc.go registrar.go source.go
//go:embed cmd/litellm-key-registrar/main.go
var sources embed.FS

const (
	// BuildPackage is the package the Job builds in the shipped tree.
	BuildPackage = "./keyregistrar/cmd/litellm-key-registrar"
	// BinaryName is the name of the built command.
	BinaryName = "litellm-key-registrar"
)

// SourceFile is one file of the shipped tree.
type SourceFile = gosource.File

// SourceFiles returns every file needed to build BuildPackage in an empty directory.
func SourceFiles() []SourceFile {
	return gosource.Tree(gosource.Package{Dir: "keyregistrar", Files: sources})
}

// SourceChecksum changes when anything the Job compiles changes.
func SourceChecksum() string { return gosource.Checksum(SourceFiles()) }
