package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// Additions put what Debian does not package (Node.js, npm, the Go toolchain, our own
// binaries) and the literal files of an image into its root.

// npmTarball returns the registry tarball of name@version, fetched once with `npm pack`
// into the cache (npm verifies the registry's integrity hash).
func (b *builder) npmTarball(ctx context.Context, name, version string) (string, error) {
	dir := filepath.Join(b.cache, "npm")
	file := filepath.Join(dir, strings.ReplaceAll(name, "/", "-")+"-"+version+".tgz")
	if _, err := os.Stat(file); err == nil {
		return file, nil
	}
	tmp, err := os.MkdirTemp(b.cache, "npm-pack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "npm", "pack", "--silent", "--pack-destination", tmp, name+"@"+version)
	cmd.Dir = tmp
	cmd.Stderr = b.log
	outb, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s@%s (is the npm registry reachable?): %w", name, version, err)
	}
	got := filepath.Join(tmp, strings.TrimSpace(lastLine(string(outb))))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(got, file); err != nil {
		return "", fmt.Errorf("npm pack %s@%s printed %q: %w", name, version, got, err)
	}
	return file, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// unpackNpm extracts an npm tarball's package/ into root+into, owned by root, keeping
// modes and adding read bits (npm's own extraction does the same).
func unpackNpm(tgz, root string, p NpmPackage) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(gz)
	keep := func(rel string) bool {
		if len(p.Only) == 0 {
			return true
		}
		for _, o := range p.Only {
			if rel == o || strings.HasPrefix(rel, o+"/") {
				return true
			}
		}
		return false
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", tgz, err)
		}
		// npm tarballs put everything under one top directory (usually package/).
		name := path.Clean(h.Name)
		i := strings.IndexByte(name, '/')
		if i < 0 {
			continue
		}
		rel := name[i+1:]
		if strings.HasPrefix(rel, "../") || !keep(rel) {
			continue
		}
		dst := filepath.Join(root, p.Into, rel)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			if err := writeFrom(dst, tr, mode); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(h.Linkname, dst); err != nil {
				return err
			}
		}
	}
}

func writeFrom(dst string, r io.Reader, mode os.FileMode) error {
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

// goToolchainZip downloads golang.org/toolchain@v0.0.1-go<version>.linux-amd64 through
// the Go module proxy (checked against the checksum database) and returns the zip.
func (b *builder) goToolchainZip(ctx context.Context, version string) (string, error) {
	mod := toolchainModule(version)
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	cmd.Stderr = b.log
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s (is the Go module proxy reachable? GOPROXY=%s): %w", mod, os.Getenv("GOPROXY"), err)
	}
	var info struct{ Zip, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	if info.Error != "" || info.Zip == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	return info.Zip, nil
}

// toolchainModule is the module path@version of a Go release on the module proxy.
func toolchainModule(version string) string {
	return "golang.org/toolchain@v0.0.1-go" + version + ".linux-amd64"
}

// unpackGoToolchain extracts the toolchain zip (every file under "<module>@<version>/")
// into root+into. Modes: 0755 for what the zip marks executable, 0644 otherwise.
func unpackGoToolchain(zipPath, version, root, into string) error {
	prefix := toolchainModule(version) + "/"
	found := false
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, prefix) {
			return fmt.Errorf("%s: %s is outside %s", zipPath, f.Name, prefix)
		}
		rel := path.Clean(strings.TrimPrefix(f.Name, prefix))
		if rel == "." || strings.HasPrefix(rel, "../") {
			continue
		}
		if rel == "bin/go" {
			found = true
		}
		dst := filepath.Join(root, into, rel)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if f.Mode()&0o111 != 0 {
			mode = 0o755
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		err = writeFrom(dst, rc, mode)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	if !found {
		return fmt.Errorf("%s has no bin/go under %s", zipPath, prefix)
	}
	return nil
}

// goBuild builds a package of the main module as a static binary into dst.
func (b *builder) goBuild(ctx context.Context, g GoBuild, dst string) error {
	if _, err := os.Stat(filepath.Join(b.mainModule, g.Package)); err != nil {
		return fmt.Errorf("%s does not exist in %s yet (its image cannot be built until it does): %w", g.Package, b.mainModule, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", dst, g.Package)
	cmd.Dir = b.mainModule
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s in %s: %w", g.Package, b.mainModule, err)
	}
	return nil
}

// appletLinks hard-links every applet the multi-call binary lists (busybox --list-full
// prints paths like "bin/sh", "usr/sbin/chroot") to it, skipping paths that exist.
func (b *builder) appletLinks(ctx context.Context, root, binary string) error {
	bin := filepath.Join(root, binary)
	out, err := exec.CommandContext(ctx, bin, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("%s --list-full: %w", binary, err)
	}
	for _, l := range strings.Fields(string(out)) {
		dst := filepath.Join(root, path.Clean("/"+l))
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Link(bin, dst); err != nil {
			return fmt.Errorf("linking applet %s: %w", l, err)
		}
	}
	return nil
}

// applyLiterals creates Dirs, Symlinks and Files, in that order.
func applyLiterals(root string, img Image) error {
	for _, d := range img.Dirs {
		p := filepath.Join(root, d.Path)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		if err := os.Lchown(p, d.UID, d.GID); err != nil {
			return err
		}
		if err := os.Chmod(p, unixMode(d.Mode)); err != nil {
			return err
		}
	}
	for _, s := range img.Symlinks {
		p := filepath.Join(root, s.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.RemoveAll(p); err != nil {
			return err
		}
		if err := os.Symlink(s.Target, p); err != nil {
			return err
		}
	}
	for _, f := range img.Files {
		p := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFrom(p, strings.NewReader(f.Content), unixMode(f.Mode)); err != nil {
			return err
		}
		if err := os.Lchown(p, f.UID, f.GID); err != nil {
			return err
		}
	}
	return nil
}

// unixMode turns 0o1777-style permission bits into an os.FileMode.
func unixMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	if m&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	if m&0o2000 != 0 {
		mode |= os.ModeSetgid
	}
	if m&0o4000 != 0 {
		mode |= os.ModeSetuid
	}
	return mode
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
		return err
	}
	return writeFrom(dst, in, mode)
}
