package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// formatVersion is part of every image's cache key: bump it when a change here alters
// what an image contains, so cached tars are rebuilt.
const formatVersion = "1"

// builder builds images into the cache:
//
//	<cache>/rootfs/debian-bookworm-minbase/   the debootstrap root (made once)
//	<cache>/layers/debian-bookworm-minbase.tar its layer, shared by the Debian-based images
//	<cache>/tars/<slug>-<key>.tar             one OCI layout tar per image and key
//	<cache>/state/<slug>.json                 what `list` and the import read
//	<cache>/work/                             scratch space of a running build
type builder struct {
	cache      string
	mainModule string
	mirror     string
	verbose    bool
	stderr     io.Writer // progress lines
	// log receives the output of every command (debootstrap, apt-get, npm, go): the
	// current step's log file under <cache>/logs, shown in part only when a step fails.
	log io.Writer
}

// withLog sends command output to <cache>/logs/<name>.log while fn runs; on failure the
// error names the log and ends with its last lines.
func (b *builder) withLog(name string, fn func() error) error {
	dir := filepath.Join(b.cache, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, name+".log")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	prev := b.log
	b.log = f
	defer func() { b.log = prev }()
	if err := fn(); err != nil {
		if t := tail(path, 25); t != "" {
			return fmt.Errorf("%w\n--- last lines of %s:\n%s", err, path, t)
		}
		return err
	}
	return nil
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (b *builder) say(s string) { fmt.Fprintln(b.stderr, s) }

func now() time.Time           { return time.Now() }
func since(t time.Time) string { return time.Since(t).Round(time.Second).String() }
func slug(ref string) string   { return strings.NewReplacer("/", "_", ":", "_", "@", "_").Replace(ref) }
func (b *builder) statePath(ref string) string {
	return filepath.Join(b.cache, "state", slug(ref)+".json")
}

// run runs a command with its output in the log, in its own process group: cancelling
// (SIGINT/SIGTERM to the builder) sends SIGTERM to the whole group, so apt-get in a chroot
// stops too, and each mount namespace goes away with its last process.
func (b *builder) run(ctx context.Context, dir string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = b.log, b.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", firstLine(name+" "+strings.Join(args, " ")), err)
	}
	return nil
}

// State is what a build leaves for `list` and `import`.
type State struct {
	Ref         string `json:"ref"`
	Name        string `json:"name"` // the full name containerd records
	Tar         string `json:"tar"`
	Digest      string `json:"digest"` // manifest digest
	Key         string `json:"key"`
	Description string `json:"description"`
}

// baseLayer returns the base root and its layer, writing the layer once.
func (b *builder) baseLayer(ctx context.Context) (string, layerInfo, error) {
	root, err := b.ensureBase(ctx)
	if err != nil {
		return "", layerInfo{}, err
	}
	path := filepath.Join(b.cache, "layers", "debian-bookworm-minbase.tar")
	digestFile := path + ".sha256"
	if d, err := os.ReadFile(digestFile); err == nil {
		if st, err := os.Stat(path); err == nil {
			return root, layerInfo{Path: path, Digest: strings.TrimSpace(string(d)), Size: st.Size()}, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", layerInfo{}, err
	}
	li, err := writeLayer(root, "", path)
	if err != nil {
		return "", layerInfo{}, fmt.Errorf("packing the base layer: %w", err)
	}
	return root, li, os.WriteFile(digestFile, []byte(li.Digest+"\n"), 0o644)
}

// key is the image's cache key: the builder's format, the image's spec, the base layer
// and, for a binary built from the main module, that binary.
func key(img Image, baseDigest, binDigest string) string {
	spec, _ := json.Marshal(img)
	h := sha256.New()
	fmt.Fprintf(h, "format %s\nbase %s\nbinary %s\n", formatVersion, baseDigest, binDigest)
	h.Write(spec)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// build builds one image unless its tar for the current key exists.
func (b *builder) build(ctx context.Context, img Image) (State, error) {
	needsBase := !img.Scratch || len(img.Steps) > 0
	var baseRoot string
	var base layerInfo
	var err error
	if needsBase {
		if baseRoot, base, err = b.baseLayer(ctx); err != nil {
			return State{}, err
		}
	}
	work := filepath.Join(b.cache, "work", slug(img.Ref))
	if err := os.RemoveAll(work); err != nil {
		return State{}, fmt.Errorf("removing the leftover %s: %w", work, err)
	}
	defer os.RemoveAll(work)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return State{}, err
	}
	var bin, binDigest string
	if img.GoBuild != nil {
		// Built every time (a warm Go build cache makes it a link) so the key follows the source.
		bin = filepath.Join(work, "gobuild.bin")
		if err := b.goBuild(ctx, *img.GoBuild, bin); err != nil {
			return State{}, err
		}
		if binDigest, err = fileDigest(bin); err != nil {
			return State{}, err
		}
	}
	k := key(img, base.Digest, binDigest)
	tarPath := filepath.Join(b.cache, "tars", slug(img.Ref)+"-"+k+".tar")
	if st, err := b.readState(img.Ref); err == nil && st.Key == k && st.Tar == tarPath {
		if _, err := os.Stat(tarPath); err == nil {
			if b.verbose {
				b.say("    " + img.Ref + ": cached (" + tarPath + ")")
			}
			return st, nil
		}
	}

	b.say(fmt.Sprintf("==> %s: building the local stand-in (cold: %s)", img.Ref, img.Cold))
	start := now()
	root := filepath.Join(work, "root")
	if needsBase {
		if err := b.copyTree(ctx, baseRoot, root); err != nil {
			return State{}, err
		}
	}
	for i, s := range img.Steps {
		script := s.Run
		if len(s.Apt) > 0 {
			script = aptScript(s.Apt)
		}
		if err := b.chroot(ctx, root, script); err != nil {
			return State{}, fmt.Errorf("%s: step %d (%s): %w", img.Ref, i+1, firstLine(script), err)
		}
	}
	if img.Scratch {
		stage := filepath.Join(work, "stage")
		if err := os.MkdirAll(stage, 0o755); err != nil {
			return State{}, err
		}
		if err := b.pick(ctx, root, stage, img.Pick); err != nil {
			return State{}, fmt.Errorf("%s: %w", img.Ref, err)
		}
		if err := os.RemoveAll(root); err != nil {
			return State{}, err
		}
		root = stage
	}
	if err := b.applyAdditions(ctx, img, root, bin); err != nil {
		return State{}, fmt.Errorf("%s: %w", img.Ref, err)
	}
	for _, v := range img.Verify {
		if err := b.verify(ctx, root, img.Config.Env, v); err != nil {
			return State{}, fmt.Errorf("%s: check %q failed in the built root (its `sh -x` trace is in the log): %w", img.Ref, v, err)
		}
	}
	if err := cleanRoot(root); err != nil {
		return State{}, err
	}

	var layers []layerInfo
	top := filepath.Join(work, "layer.tar")
	if img.Scratch {
		li, err := writeLayer(root, "", top)
		if err != nil {
			return State{}, fmt.Errorf("%s: packing: %w", img.Ref, err)
		}
		layers = []layerInfo{li}
	} else {
		li, err := writeLayer(root, baseRoot, top)
		if err != nil {
			return State{}, fmt.Errorf("%s: packing: %w", img.Ref, err)
		}
		layers = []layerInfo{base, li}
	}
	image, err := assemble(img, layers, time.Now().UTC().Truncate(time.Second))
	if err != nil {
		return State{}, fmt.Errorf("%s: assembling: %w", img.Ref, err)
	}
	if err := os.MkdirAll(filepath.Dir(tarPath), 0o755); err != nil {
		return State{}, err
	}
	digest, err := writeOCITar(image, img.Ref, tarPath)
	if err != nil {
		return State{}, fmt.Errorf("%s: writing %s: %w", img.Ref, tarPath, err)
	}
	full, _ := FullName(img.Ref)
	st := State{Ref: img.Ref, Name: full, Tar: tarPath, Digest: digest.String(), Key: k, Description: img.Description()}
	if err := b.writeState(st); err != nil {
		return State{}, err
	}
	b.removeOldTars(img.Ref, tarPath)
	b.say(fmt.Sprintf("    %s: built in %s (%s)", img.Ref, since(start), tarPath))
	return st, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}

func (b *builder) applyAdditions(ctx context.Context, img Image, root, bin string) error {
	for _, p := range img.Npm {
		tgz, err := b.npmTarball(ctx, p.Name, p.Version)
		if err != nil {
			return err
		}
		if err := unpackNpm(tgz, root, p); err != nil {
			return fmt.Errorf("unpacking %s@%s: %w", p.Name, p.Version, err)
		}
	}
	if g := img.GoToolchain; g != nil {
		zip, err := b.goToolchainZip(ctx, g.Version)
		if err != nil {
			return err
		}
		if err := unpackGoToolchain(zip, g.Version, root, g.Into); err != nil {
			return fmt.Errorf("unpacking the Go %s toolchain: %w", g.Version, err)
		}
	}
	if img.GoBuild != nil {
		dst := filepath.Join(root, img.GoBuild.Path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := copyFile(bin, dst, 0o755); err != nil {
			return err
		}
	}
	if err := applyLiterals(root, img); err != nil {
		return err
	}
	if img.AppletLinks != "" {
		return b.appletLinks(ctx, root, img.AppletLinks)
	}
	return nil
}

// verify runs a check in the finished root, chrooted, with the image's environment and
// /proc mounted in a private mount namespace.
func (b *builder) verify(ctx context.Context, root string, env []string, script string) error {
	outer := `set -e; root="$1"; shift
if [ -d "$root/proc" ]; then mount -t proc proc "$root/proc"; trap 'umount "$root/proc"' EXIT; fi
script="$1"; shift
chroot "$root" /usr/bin/env -i HOME=/root "$@" /bin/sh -ecx "$script"`
	args := []string{"--mount", "--propagation", "private", "--", "sh", "-c", outer, "verify", root, script}
	args = append(args, env...)
	return b.run(ctx, "", "unshare", args...)
}

func (b *builder) readState(ref string) (State, error) {
	var st State
	data, err := os.ReadFile(b.statePath(ref))
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(data, &st)
}

func (b *builder) writeState(st State) error {
	p := b.statePath(st.Ref)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(p+".tmp", append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(p+".tmp", p)
}

// removeOldTars deletes tars of earlier keys of the same image.
func (b *builder) removeOldTars(ref, keep string) {
	old, _ := filepath.Glob(filepath.Join(b.cache, "tars", slug(ref)+"-*.tar"))
	for _, o := range old {
		if o != keep && len(filepath.Base(o)) == len(filepath.Base(keep)) {
			os.Remove(o)
		}
	}
}
