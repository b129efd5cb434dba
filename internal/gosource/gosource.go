// Package gosource lays embedded Go package sources out as a module tree, for programs this
// project ships as source to stock Go images (the auth rotator, the key registrar): an init
// container compiles them from a ConfigMap, so no image of ours is needed and what runs is
// what the tests built. Standard library only, and shipped itself (it embeds its own
// source), because the shipped packages call it.
package gosource

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

//go:embed gosource.go
var self embed.FS

// Module is the module path the shipped trees are laid out in (the repository's own, so
// import paths are unchanged), and GoVersion its go directive.
const (
	Module    = "cloud-codex"
	GoVersion = "1.26"
	selfDir   = "internal/gosource"
)

// File is one file of a shipped tree.
type File struct {
	// Key is the ConfigMap key: Path with "/" replaced by ".", matching [-._a-zA-Z0-9]+.
	Key string
	// Path is where the file goes relative to the module root (a ConfigMap volume's
	// items[].path), e.g. "rotator/run.go".
	Path    string
	Content string
}

// Package is one package's embedded non-test sources and its directory in the module.
// An embed glob cannot exclude *_test.go, so each package lists its files; the tests
// (gosourcetest.CheckLayout, CheckEmbedsEveryFile) catch a forgotten one.
type Package struct {
	Dir   string
	Files fs.FS
}

// Tree returns every file needed to build the given packages in an empty directory: go.mod,
// the packages' files and this package's own, sorted by path.
func Tree(pkgs ...Package) []File {
	var out []File
	for _, p := range append(pkgs, Package{Dir: selfDir, Files: self}) {
		err := fs.WalkDir(p.Files, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(p.Files, name)
			if err != nil {
				return err
			}
			out = append(out, file(path.Join(p.Dir, name), string(data)))
			return nil
		})
		if err != nil {
			panic(fmt.Sprintf("gosource: reading embedded sources of %s: %v", p.Dir, err)) // embedded at build time
		}
	}
	out = append(out, file("go.mod", goMod()))
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Checksum is a SHA-256 over every file (path and content): it changes when anything a pod
// compiles changes, so objects that carry it are re-created.
func Checksum(files []File) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%d:%s%d:%s", len(f.Path), f.Path, len(f.Content), f.Content)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func file(p, content string) File {
	return File{Key: strings.ReplaceAll(p, "/", "."), Path: p, Content: content}
}

// goMod renders the shipped module's go.mod. The standard library has no go.mod encoder
// (golang.org/x/mod/modfile is not part of it, and shipped code stays standard-library only
// so it builds in the pod without fetching modules); this go.mod is two fixed directives with
// no requirements, so it is written directly.
func goMod() string { return fmt.Sprintf("module %s\n\ngo %s\n", Module, GoVersion) }
