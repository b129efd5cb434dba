package gosource_test

import (
	"testing"
	"testing/fstest"

	"cloud-codex/internal/gosource"
	"cloud-codex/internal/gosource/gosourcetest"
)

func TestTreeShipsItselfAndAGoMod(t *testing.T) {
	pkg := fstest.MapFS{"hello.go": {Data: []byte("package hello\n")}}
	files := gosource.Tree(gosource.Package{Dir: "hello", Files: pkg})
	gosourcetest.CheckLayout(t, files, map[string]string{".": "internal/gosource"})
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	want := []string{"go.mod", "hello/hello.go", "internal/gosource/gosource.go"}
	if len(paths) != len(want) {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	for i := range want {
		if paths[i] != want[i] {
			t.Fatalf("paths = %v, want %v", paths, want)
		}
	}
	if files[1].Key != "hello.hello.go" {
		t.Errorf("key = %q", files[1].Key)
	}
}

func TestChecksumFollowsContent(t *testing.T) {
	tree := func(content string) []gosource.File {
		return gosource.Tree(gosource.Package{Dir: "p", Files: fstest.MapFS{"a.go": {Data: []byte(content)}}})
	}
	first, again, changed := tree("package p\n"), tree("package p\n"), tree("package p // changed\n")
	if gosource.Checksum(first) != gosource.Checksum(again) {
		t.Error("checksum must be deterministic")
	}
	if gosource.Checksum(first) == gosource.Checksum(changed) {
		t.Error("checksum must change with content")
	}
}
