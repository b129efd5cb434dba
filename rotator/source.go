package rotator

import (
	"embed"

	"cloud-codex/codexauth"
	"cloud-codex/internal/gosource"
)

// The rotator ships to its pod as source (see internal/gosource): an init container of a
// pinned official Go image compiles it from a ConfigMap.
//
//go:embed atomicfile.go authfail.go clock.go config.go doc.go events.go flatsync.go guard.go importer.go limits.go litellm.go observe.go recover.go refresh.go remedy.go replace.go replace_other.go replace_unix.go rotate.go rotator.go run.go seed.go source.go status.go store.go volume.go watch.go
//go:embed cmd/codex-auth-rotator/main.go
var sources embed.FS

// BuildPackage is the package the pod builds in the shipped tree.
const BuildPackage = "./rotator/cmd/codex-auth-rotator"

// SourceFile is one file of the shipped tree.
type SourceFile = gosource.File

// SourceFiles returns every file needed to build BuildPackage in an empty directory.
func SourceFiles() []SourceFile {
	return gosource.Tree(
		gosource.Package{Dir: "rotator", Files: sources},
		gosource.Package{Dir: "codexauth", Files: codexauth.Sources},
	)
}
