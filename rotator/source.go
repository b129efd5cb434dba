package rotator

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"cloud-codex/codexauth"
)

// The rotator ships to its pod as source: an init container of a pinned official Go image
// compiles it from a ConfigMap, so no image of ours is needed, and what runs is exactly
// what this package's tests built and tested.
//
// The files are listed one by one because go:embed cannot exclude *_test.go from a glob;
// TestSourceFilesLayout fails if a non-test file of the package is missing here.
//
//go:embed atomicfile.go clock.go config.go doc.go events.go flatsync.go importer.go limits.go observe.go recover.go refresh.go rotate.go rotator.go run.go seed.go source.go status.go store.go
//go:embed cmd/codex-auth-rotator/main.go
var sources embed.FS

// Module path and Go version of the module the shipped sources are laid out in.
const (
	ModulePath = "cloud-codex"
	GoVersion  = "1.26"
	// BuildPackage is the package to build in that module.
	BuildPackage = "./rotator/cmd/codex-auth-rotator"
)

// SourceFile is one file of the shipped source tree.
type SourceFile struct {
	// Key is the ConfigMap key: Path with "/" replaced by ".", matching [-._a-zA-Z0-9]+.
	Key string
	// Path is where the file goes, relative to the module root (a ConfigMap volume's
	// items[].path), e.g. "rotator/run.go".
	Path    string
	Content string
}

// SourceFiles returns every file needed to build BuildPackage in an otherwise empty
// directory: go.mod, this package's and its command's non-test Go files, and codexauth's.
func SourceFiles() []SourceFile {
	var out []SourceFile
	add := func(p, content string) {
		out = append(out, SourceFile{Key: strings.ReplaceAll(p, "/", "."), Path: p, Content: content})
	}
	err := fs.WalkDir(sources, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := sources.ReadFile(p)
		if err != nil {
			return err
		}
		add(path.Join("rotator", p), string(data))
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("rotator: reading embedded sources: %v", err)) // embedded at build time: cannot fail
	}
	for name, content := range codexauth.SourceFiles() {
		add(path.Join("codexauth", name), content)
	}
	add("go.mod", goMod())
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// goMod renders the shipped module's go.mod. The standard library has no go.mod encoder
// (golang.org/x/mod/modfile is not part of it, and the rotator stays standard-library
// only so that it builds in the pod without fetching modules), and this go.mod is two
// fixed directives with no requirements, so it is written directly.
func goMod() string {
	return fmt.Sprintf("module %s\n\ngo %s\n", ModulePath, GoVersion)
}
