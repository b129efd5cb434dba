package keyregistrar

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The registrar ships to its Job as source, like the auth rotator: an init container of a
// pinned official Go image compiles it from a ConfigMap, so no image of ours is needed and
// what runs is exactly what this package's tests built and tested.
//
// The files are listed one by one because go:embed cannot exclude *_test.go from a glob;
// TestSourceFilesLayout fails if a non-test file of the package is missing here.
//
//go:embed client.go doc.go registrar.go source.go
//go:embed cmd/litellm-key-registrar/main.go
var sources embed.FS

// Module path and Go version of the module the shipped sources are laid out in.
const (
	ModulePath = "cloud-codex"
	GoVersion  = "1.26"
	// BuildPackage is the package to build in that module.
	BuildPackage = "./keyregistrar/cmd/litellm-key-registrar"
	// BinaryName is the name of the built command.
	BinaryName = "litellm-key-registrar"
)

// SourceFile is one file of the shipped source tree.
type SourceFile struct {
	// Key is the ConfigMap key: Path with "/" replaced by ".", matching [-._a-zA-Z0-9]+.
	Key string
	// Path is where the file goes, relative to the module root (a ConfigMap volume's
	// items[].path), e.g. "keyregistrar/registrar.go".
	Path    string
	Content string
}

// SourceFiles returns every file needed to build BuildPackage in an otherwise empty
// directory: go.mod and this package's and its command's non-test Go files, sorted by path.
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
		add(path.Join("keyregistrar", p), string(data))
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("keyregistrar: reading embedded sources: %v", err)) // embedded at build time: cannot fail
	}
	add("go.mod", fmt.Sprintf("module %s\n\ngo %s\n", ModulePath, GoVersion))
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// SourceChecksum is a SHA-256 over every shipped file (path and content): it changes when
// anything the Job compiles changes.
func SourceChecksum() string {
	h := sha256.New()
	for _, f := range SourceFiles() {
		fmt.Fprintf(h, "%d:%s%d:%s", len(f.Path), f.Path, len(f.Content), f.Content)
	}
	return hex.EncodeToString(h.Sum(nil))
}
