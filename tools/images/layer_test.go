package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
)

// readLayer returns a layer tar's headers by name.
func readLayer(t *testing.T, path string) map[string]*tar.Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

func names(m map[string]*tar.Header) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustWrite(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// A full layer keeps owners, special mode bits, symlinks and hard links, and leaves out
// device nodes and whatever is under /proc.
func TestWriteLayerKeepsOwnershipModesAndLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown, mknod)")
	}
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "usr/bin/busybox"), "multi-call", 0o755)
	if err := os.Link(filepath.Join(root, "usr/bin/busybox"), filepath.Join(root, "usr/bin/sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/bin", filepath.Join(root, "bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(root, "home/nonroot/.profile"), "x", 0o600)
	if err := os.Lchown(filepath.Join(root, "home/nonroot/.profile"), 65532, 65532); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(root, "proc/1/status"), "not packed", 0o644)
	if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(root, "dev/null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatal(err)
	}

	li, err := writeLayer(root, "", filepath.Join(t.TempDir(), "layer.tar"))
	if err != nil {
		t.Fatal(err)
	}
	h := readLayer(t, li.Path)
	if _, ok := h["dev/null"]; ok {
		t.Error("device node dev/null was packed")
	}
	if _, ok := h["dev/"]; !ok {
		t.Error("dev/ itself should be packed (empty)")
	}
	if _, ok := h["proc/1/status"]; ok {
		t.Error("proc content was packed")
	}
	if got := h["bin"]; got == nil || got.Typeflag != tar.TypeSymlink || got.Linkname != "usr/bin" {
		t.Errorf("bin: want symlink to usr/bin, got %+v", got)
	}
	if got := h["usr/bin/sh"]; got == nil || got.Typeflag != tar.TypeLink || got.Linkname != "usr/bin/busybox" {
		t.Errorf("usr/bin/sh: want hard link to usr/bin/busybox, got %+v", got)
	}
	if got := h["tmp/"]; got == nil || got.Mode&0o7777 != 0o1777 {
		t.Errorf("tmp/: want mode 1777, got %+v", got)
	}
	if got := h["home/nonroot/.profile"]; got == nil || got.Uid != 65532 || got.Gid != 65532 || got.Mode&0o777 != 0o600 {
		t.Errorf("home/nonroot/.profile: want 65532:65532 0600, got %+v", got)
	}
	if li.Digest == "" || li.Size == 0 {
		t.Errorf("layer info not filled: %+v", li)
	}
}

// A layer on top of a base holds only what changed, and whiteouts for what was removed
// (one for a removed directory, none for its content).
func TestWriteLayerDiffAgainstBase(t *testing.T) {
	base, root := t.TempDir(), t.TempDir()
	for _, d := range []string{base, root} {
		mustWrite(t, filepath.Join(d, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n", 0o644)
		mustWrite(t, filepath.Join(d, "usr/share/doc/a"), "a", 0o644)
	}
	mustWrite(t, filepath.Join(base, "var/lib/apt/lists/x"), "x", 0o644)
	mustWrite(t, filepath.Join(base, "var/lib/apt/lists/y"), "y", 0o644)
	if err := os.MkdirAll(filepath.Join(root, "var/lib/apt"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Same mtimes as the base, as `cp -a` leaves them, for what did not change.
	for _, p := range []string{"etc/passwd", "usr/share/doc/a", "usr/share/doc", "usr/share", "usr", "etc"} {
		st, err := os.Stat(filepath.Join(base, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(root, p), st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(root, "usr/local/bin/node"), "elf", 0o755)

	li, err := writeLayer(root, base, filepath.Join(t.TempDir(), "layer.tar"))
	if err != nil {
		t.Fatal(err)
	}
	h := readLayer(t, li.Path)
	for _, want := range []string{"usr/local/bin/node", "usr/local/", "var/lib/apt/.wh.lists"} {
		if h[want] == nil {
			t.Errorf("missing %s; layer has %v", want, names(h))
		}
	}
	for _, unwanted := range []string{"etc/passwd", "usr/share/doc/a", "var/lib/apt/lists/.wh.x"} {
		if h[unwanted] != nil {
			t.Errorf("%s should not be in the diff layer; layer has %v", unwanted, names(h))
		}
	}
}

func TestFullName(t *testing.T) {
	for ref, want := range map[string]string{
		"node:22-bookworm-slim":                     "docker.io/library/node:22-bookworm-slim",
		"golang:1.26.8-bookworm":                    "docker.io/library/golang:1.26.8-bookworm",
		"gcr.io/distroless/static-debian12:nonroot": "gcr.io/distroless/static-debian12:nonroot",
		"registry.k8s.io/pause:3.10.1":              "registry.k8s.io/pause:3.10.1",
		"cloud-codex.local/busybox:1.35":            "cloud-codex.local/busybox:1.35",
		"ghcr.io/berriai/litellm-non_root:v1.88.2":  "ghcr.io/berriai/litellm-non_root:v1.88.2",
	} {
		got, err := FullName(ref)
		if err != nil || got != want {
			t.Errorf("FullName(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
}
