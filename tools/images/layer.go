package main

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Layers are written with archive/tar straight from a directory, in lexical order: owner
// and group numeric ids, modes (setuid/setgid/sticky included), symlinks and hard links
// kept; device nodes, fifos and sockets left out (the runtime provides /dev); /proc, /sys
// and /dev contents never packed. Extended attributes are not carried (nothing here needs
// file capabilities).

// layerInfo is a written layer: its file and the sha256 of its (uncompressed) bytes,
// which is both its digest and its diff id.
type layerInfo struct {
	Path   string
	Digest string // "sha256:<hex>"
	Size   int64
}

// skipDirContent: directories packed empty.
var skipDirContent = map[string]bool{"proc": true, "sys": true, "dev": true}

// entry is one file system object found by the walk.
type entry struct {
	rel  string // slash-separated, no leading slash ("usr/bin/node")
	info fs.FileInfo
	st   *syscall.Stat_t
	link string // symlink target
}

// walkTree lists root's entries in lexical order, leaving out the contents of /proc,
// /sys, /dev and the build's own marker file.
func walkTree(root string) ([]entry, error) {
	var out []entry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if rel == ".complete" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{rel: rel, info: info, st: info.Sys().(*syscall.Stat_t)}
		if info.Mode()&fs.ModeSymlink != 0 {
			if e.link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		out = append(out, e)
		if d.IsDir() && skipDirContent[rel] {
			return fs.SkipDir
		}
		return nil
	})
	return out, err
}

// same reports whether an entry is unchanged between the base and the new tree.
func same(a, b entry) bool {
	if a.info.Mode() != b.info.Mode() || a.st.Uid != b.st.Uid || a.st.Gid != b.st.Gid || a.link != b.link {
		return false
	}
	if a.info.IsDir() {
		return true // a directory's content is compared entry by entry
	}
	return a.info.Size() == b.info.Size() && a.info.ModTime().Equal(b.info.ModTime())
}

// writeLayer writes root as a layer tar to out. With base set, only what differs from base
// is written (new and changed entries) plus whiteouts for what was removed: the layer that
// goes on top of base's layer.
func writeLayer(root, base, out string) (layerInfo, error) {
	entries, err := walkTree(root)
	if err != nil {
		return layerInfo{}, fmt.Errorf("walking %s: %w", root, err)
	}
	var baseEntries map[string]entry
	var removed []string
	if base != "" {
		be, err := walkTree(base)
		if err != nil {
			return layerInfo{}, fmt.Errorf("walking %s: %w", base, err)
		}
		baseEntries = make(map[string]entry, len(be))
		for _, e := range be {
			baseEntries[e.rel] = e
		}
		present := make(map[string]bool, len(entries))
		for _, e := range entries {
			present[e.rel] = true
		}
		var gone []string // under a removed directory: covered by its whiteout
		for _, e := range be {
			if present[e.rel] || under(e.rel, gone) {
				continue
			}
			removed = append(removed, e.rel)
			if e.info.IsDir() {
				gone = append(gone, e.rel+"/")
			}
		}
	}

	f, err := os.Create(out + ".tmp")
	if err != nil {
		return layerInfo{}, err
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	tw := tar.NewWriter(bw)

	for _, rel := range removed {
		dir, name := filepath.Split(rel)
		if err := tw.WriteHeader(&tar.Header{Name: dir + ".wh." + name, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return layerInfo{}, err
		}
	}
	links := map[[2]uint64]string{} // (dev, inode) -> first path written in this layer
	for _, e := range entries {
		if baseEntries != nil {
			if old, ok := baseEntries[e.rel]; ok && same(old, e) {
				continue
			}
		}
		if err := writeEntry(tw, root, e, links); err != nil {
			return layerInfo{}, fmt.Errorf("packing /%s: %w", e.rel, err)
		}
	}
	if err := tw.Close(); err != nil {
		return layerInfo{}, err
	}
	if err := bw.Flush(); err != nil {
		return layerInfo{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return layerInfo{}, err
	}
	if err := f.Close(); err != nil {
		return layerInfo{}, err
	}
	if err := os.Rename(out+".tmp", out); err != nil {
		return layerInfo{}, err
	}
	return layerInfo{Path: out, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: st.Size()}, nil
}

func under(rel string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(rel, d) {
			return true
		}
	}
	return false
}

func writeEntry(tw *tar.Writer, root string, e entry, links map[[2]uint64]string) error {
	mode := e.info.Mode()
	if mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		return nil
	}
	hdr, err := tar.FileInfoHeader(e.info, e.link)
	if err != nil {
		return err
	}
	hdr.Name = e.rel
	if e.info.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid = int(e.st.Uid), int(e.st.Gid)
	hdr.Uname, hdr.Gname = "", ""
	hdr.ModTime = e.info.ModTime().Truncate(time.Second)
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX
	if mode.IsRegular() && e.st.Nlink > 1 {
		key := [2]uint64{uint64(e.st.Dev), e.st.Ino}
		if first, ok := links[key]; ok {
			hdr.Typeflag = tar.TypeLink
			hdr.Linkname = first
			hdr.Size = 0
			return tw.WriteHeader(hdr)
		}
		links[key] = e.rel
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !mode.IsRegular() {
		return nil
	}
	src, err := os.Open(filepath.Join(root, e.rel))
	if err != nil {
		return err
	}
	defer src.Close()
	n, err := io.Copy(tw, src)
	if err != nil {
		return err
	}
	if n != hdr.Size {
		return fmt.Errorf("size changed while packing (%d, header %d)", n, hdr.Size)
	}
	return nil
}
