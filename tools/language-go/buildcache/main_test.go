package main

import (
	"os"
	"path/filepath"
	"testing"
)

// inProgram makes dir the working directory, as the CLI does when it starts the host.
func inProgram(t *testing.T, root, dir string) string {
	t.Helper()
	t.Setenv("CLOUD_CODEX_PROGRAM_CACHE", root)
	t.Chdir(dir)
	target, err := buildTarget()
	if err != nil {
		t.Fatalf("buildTarget in %s: %v", dir, err)
	}
	return target
}

func TestBuildTargetIsFixedPerProgramAndExclusive(t *testing.T) {
	root, a, b := t.TempDir(), t.TempDir(), t.TempDir()

	first := inProgram(t, root, a)
	if first == "" || filepath.Dir(filepath.Dir(first)) != root {
		t.Fatalf("target %q is not an entry under %s", first, root)
	}
	source, err := os.ReadFile(filepath.Join(filepath.Dir(first), "source"))
	if err != nil || string(source) != a {
		t.Fatalf("entry records %q (%v), want %q", source, err, a)
	}
	// The first host still holds a's entry: a concurrent run there must not share it.
	if busy := inProgram(t, root, a); busy != "" {
		t.Fatalf("a second run in the same directory got %q while the first holds it", busy)
	}
	other := inProgram(t, root, b)
	if other == "" || other == first {
		t.Fatalf("another program directory got %q, want its own entry (first: %q)", other, first)
	}
}

func TestBuildTargetOff(t *testing.T) {
	t.Setenv("CLOUD_CODEX_PROGRAM_CACHE", "off")
	t.Chdir(t.TempDir())
	if target, err := buildTarget(); target != "" || err != nil {
		t.Fatalf("with the cache off: target %q, err %v; want none", target, err)
	}
}

func TestPruneDropsEntriesOfDeletedProgramsOnly(t *testing.T) {
	root := t.TempDir()
	gone := filepath.Join(t.TempDir(), "deleted-clone")
	kept := t.TempDir()
	entry := func(name, source string) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "source"), []byte(source), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "program"), []byte("binary"), 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	goneEntry, keptEntry, busyEntry := entry("gone", gone), entry("kept", kept), entry("busy", gone+"-too")
	fd, err := tryLock(filepath.Join(busyEntry, "lock"))
	if err != nil || fd < 0 {
		t.Fatalf("locking the busy entry: fd %d, %v", fd, err)
	}

	pruneEntries(root)

	for dir, want := range map[string]bool{goneEntry: false, keptEntry: true, busyEntry: true} {
		_, err := os.Stat(dir)
		if exists := err == nil; exists != want {
			t.Errorf("%s: exists=%v after pruning, want %v", filepath.Base(dir), exists, want)
		}
	}
}
