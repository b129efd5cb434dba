package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The Debian base: `debootstrap --variant=minbase bookworm`, made once and kept in the
// cache. Every command that mounts something (debootstrap mounts /proc in its target,
// our chroot steps mount /proc) runs inside `unshare --mount` with private propagation:
// its mounts exist only in that mount namespace and vanish with its last process, so a
// failed, interrupted or killed build can never leave /proc mounted inside a directory
// that is then deleted or packed.

// debianSources is what the official debian:bookworm image configures: the release,
// its updates and the security archive, so apt-get in a stand-in sees the same packages.
const debianSources = `Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`

// policyRCD keeps package scripts from starting services in the chroot.
const policyRCD = "#!/bin/sh\nexit 101\n"

// ensureBase returns the cached base root filesystem, building it when missing.
func (b *builder) ensureBase(ctx context.Context) (string, error) {
	dir := filepath.Join(b.cache, "rootfs", "debian-bookworm-minbase")
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	b.say("==> debian bookworm minbase root filesystem (debootstrap, cold: ~5 min; made once)")
	start := now()
	if err := b.withLog("debian-bookworm-minbase", func() error { return b.debootstrap(ctx, dir) }); err != nil {
		return "", err
	}
	b.say(fmt.Sprintf("    base root filesystem: done in %s", since(start)))
	return dir, nil
}

// debootstrap makes the base in dir.partial and renames it to dir when complete.
func (b *builder) debootstrap(ctx context.Context, dir string) error {
	tmp := dir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("removing the leftover %s: %w", tmp, err)
	}
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		return err
	}
	mirror := b.mirror
	if err := b.run(ctx, "", "unshare", "--mount", "--propagation", "private", "--",
		"debootstrap", "--variant=minbase", "bookworm", tmp, mirror); err != nil {
		return fmt.Errorf("debootstrap bookworm from %s failed (another mirror: CLOUD_CODEX_DEBIAN_MIRROR=<url>; "+
			"its log follows): %w", mirror, err)
	}
	if err := os.Remove(filepath.Join(tmp, "etc/apt/sources.list")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "etc/apt/sources.list.d/debian.sources"), []byte(debianSources), 0o644); err != nil {
		return err
	}
	// The release as published plus its updates and security fixes, as the real image.
	if err := b.chroot(ctx, tmp, "apt-get update -qq && apt-get upgrade -y -qq"); err != nil {
		return fmt.Errorf("upgrading the base: %w", err)
	}
	if err := cleanRoot(tmp); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return nil
}

// copyTree copies a root filesystem with cp -a (ownership, modes, links, devices kept).
func (b *builder) copyTree(ctx context.Context, from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	return b.run(ctx, "", "cp", "-a", from+"/.", to+"/")
}

// chroot runs a shell script in root with /proc mounted (in a private mount namespace)
// and the host's resolv.conf, for apt-get.
func (b *builder) chroot(ctx context.Context, root, script string) error {
	if err := copyFile("/etc/resolv.conf", filepath.Join(root, "etc/resolv.conf"), 0o644); err != nil {
		return fmt.Errorf("copying resolv.conf into %s: %w", root, err)
	}
	policy := filepath.Join(root, "usr/sbin/policy-rc.d")
	if err := os.WriteFile(policy, []byte(policyRCD), 0o755); err != nil {
		return err
	}
	// The outer shell owns the mount: it unmounts on any exit (the namespace would drop
	// it anyway).
	outer := `set -e; root="$1"; shift
mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT
chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 /bin/sh -ec "$1"`
	err := b.run(ctx, "", "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", outer, "chroot", root, script)
	if rerr := os.Remove(policy); rerr != nil && err == nil {
		err = rerr
	}
	if rerr := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), nil, 0o644); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// aptScript installs packages without recommends, as the official images do.
func aptScript(pkgs []string) string {
	return "apt-get update -qq && apt-get install -y -qq --no-install-recommends " + strings.Join(pkgs, " ")
}

// cleanRoot drops what an image build leaves behind and a real image does not ship:
// apt's lists and caches, logs of this build, /tmp.
func cleanRoot(root string) error {
	for _, glob := range []string{
		"var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb",
		"var/cache/apt/archives/partial/*", "var/cache/debconf/*-old", "var/lib/dpkg/*-old",
		"var/log/apt/*", "var/log/dpkg.log", "var/log/alternatives.log", "var/log/bootstrap.log",
		"tmp/*", "root/.cache", "root/.npm", "root/.wget-hsts", "var/cache/ldconfig/aux-cache",
	} {
		matches, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			return err
		}
		for _, m := range matches {
			if filepath.Base(m) == "lock" || filepath.Base(m) == "partial" {
				continue
			}
			if err := os.RemoveAll(m); err != nil {
				return fmt.Errorf("cleaning %s: %w", m, err)
			}
		}
	}
	return nil
}

// pick copies paths (absolute, as inside the image) from a chroot into a stage dir with
// their parents, keeping ownership and modes.
func (b *builder) pick(ctx context.Context, root, stage string, paths []string) error {
	for _, p := range paths {
		rel := strings.TrimPrefix(p, "/")
		if _, err := os.Lstat(filepath.Join(root, rel)); err != nil {
			return fmt.Errorf("pick %s: not in the chroot (is its package in Steps?): %w", p, err)
		}
		cmd := exec.CommandContext(ctx, "cp", "-a", "--parents", rel, stage+"/")
		cmd.Dir = root
		cmd.Stderr = b.log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pick %s: cp: %w", p, err)
		}
	}
	return nil
}
