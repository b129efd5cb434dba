package main

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// pinnedImages reads every string constant named *Image from components/images.go.
func pinnedImages(t *testing.T) map[string]string {
	t.Helper()
	path := filepath.Join("..", "..", "components", "images.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatalf("reading the program's pins: %v", err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasSuffix(n.Name, "Image") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal; update this test", n.Name)
				}
				out[n.Name] = constant.StringVal(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no *Image constants found in %s", path)
	}
	return out
}

// Every image the program pins has a stand-in under exactly that reference, or one under
// its own name that StandsInFor it (selected through a stack setting), so a changed pin
// fails here instead of in a pod that cannot pull.
func TestCatalogCoversEveryPinnedImage(t *testing.T) {
	refs := map[string]bool{}
	standsIn := map[string]string{}
	for _, img := range Catalog {
		refs[img.Ref] = true
		if img.StandsInFor != "" {
			standsIn[img.StandsInFor] = img.Ref
		}
	}
	pinned := map[string]bool{}
	for constName, ref := range pinnedImages(t) {
		pinned[ref] = true
		if refs[ref] {
			continue
		}
		if standin, ok := standsIn[ref]; ok {
			t.Logf("%s = %s: not built here; %s stands in for it", constName, ref, standin)
			continue
		}
		t.Errorf("components/images.go pins %s = %q but tools/images/catalog.go has no image with that reference (nor one that StandsInFor it)", constName, ref)
	}
	// A StandsInFor that names no pin (the pin moved) would keep selecting the stand-in for
	// an image the program no longer uses.
	for real, standin := range standsIn {
		if !pinned[real] {
			t.Errorf("%s StandsInFor %q, which components/images.go does not pin", standin, real)
		}
	}
}

func TestCatalogEntriesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, img := range Catalog {
		if seen[img.Ref] {
			t.Errorf("%s is in the catalog twice", img.Ref)
		}
		seen[img.Ref] = true
		if _, err := FullName(img.Ref); err != nil {
			t.Error(err)
		}
		if img.BuiltFrom == "" || img.Cold == "" {
			t.Errorf("%s: BuiltFrom and Cold must say what it is and how long it takes", img.Ref)
		}
		if !strings.HasPrefix(img.Description(), "local stand-in for "+img.Ref+", built from ") {
			t.Errorf("%s: description %q", img.Ref, img.Description())
		}
		if (img.StandsInFor == "") != (img.Setting == "") {
			t.Errorf("%s: StandsInFor and Setting go together (the setting selects the stand-in)", img.Ref)
		}
		if img.StandsInFor != "" && !strings.HasPrefix(img.Ref, "cloud-codex.local/") {
			t.Errorf("%s: a stand-in for another image lives under a cloud-codex.local/ name", img.Ref)
		}
		if img.Scratch && len(img.Pick) > 0 && len(img.Steps) == 0 {
			t.Errorf("%s: Pick without Steps picks from a chroot that has nothing installed", img.Ref)
		}
		if !img.Scratch && len(img.Pick) > 0 {
			t.Errorf("%s: Pick is only for Scratch images", img.Ref)
		}
	}
}

// The key changes with anything that changes the image, and only then.
func TestKeyFollowsSpecBaseAndBinary(t *testing.T) {
	img := Catalog[0]
	k := key(img, "sha256:a", "")
	if key(img, "sha256:a", "") != k {
		t.Fatal("key is not stable")
	}
	changed := img
	changed.Config.Env = append([]string{"X=1"}, img.Config.Env...)
	for what, other := range map[string]string{
		"base":   key(img, "sha256:b", ""),
		"binary": key(img, "sha256:a", "deadbeef"),
		"spec":   key(changed, "sha256:a", ""),
	} {
		if other == k {
			t.Errorf("key does not change with the %s", what)
		}
	}
}
