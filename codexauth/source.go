package codexauth

import (
	"embed"
	"io/fs"
)

// sources holds this package's non-test Go files so that the rotator, which is compiled
// inside its pod from source shipped in a ConfigMap, can ship them too (go:embed cannot
// reach this directory from ../rotator). They are listed one by one because go:embed
// cannot exclude *_test.go from a glob; TestSourceFiles fails if one is missing here.
//
//go:embed codexauth.go identity.go jwt.go source.go
var sources embed.FS

// SourceFiles returns the non-test Go files of this package by file name: what is needed
// to compile it, and nothing that only its tests use.
func SourceFiles() map[string]string {
	out := map[string]string{}
	entries, err := fs.ReadDir(sources, ".")
	if err != nil {
		panic("codexauth: reading embedded sources: " + err.Error()) // embedded at build time: cannot fail
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		data, err := sources.ReadFile(name)
		if err != nil {
			panic("codexauth: reading embedded " + name + ": " + err.Error())
		}
		out[name] = string(data)
	}
	return out
}
