package main

import (
	"archive/tar"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// These tests check the tars a build left in the cache (scripts/images.sh build): each
// is loaded with go-containerregistry as containerd would read it, its config compared
// with the catalog, its files looked at, and, as root, its main program run in a chroot
// of the unpacked image. An image that is not built is skipped, unless
// IMAGES_REQUIRE_BUILT=1 (after a build, nothing may be missing).

func imagesCache() string {
	if c := os.Getenv("CLOUD_CODEX_CACHE"); c != "" {
		return filepath.Join(c, "images")
	}
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "cloud-codex", "images")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "cloud-codex", "images")
}

// loadBuilt opens the image's tar from the last build as an OCI layout.
func loadBuilt(t *testing.T, ref string) (v1.Image, State) {
	t.Helper()
	b := &builder{cache: imagesCache()}
	st, err := b.readState(ref)
	if err != nil {
		if os.Getenv("IMAGES_REQUIRE_BUILT") == "1" {
			t.Fatalf("%s is not built (%v)", ref, err)
		}
		t.Skipf("%s is not built in %s (scripts/images.sh build)", ref, b.cache)
	}
	dir := t.TempDir()
	if err := untar(st.Tar, dir); err != nil {
		t.Fatalf("unpacking %s: %v", st.Tar, err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatalf("%s is not an OCI layout: %v", st.Tar, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("%s: want one manifest in index.json, got %d", st.Tar, len(m.Manifests))
	}
	d := m.Manifests[0]
	full, _ := FullName(ref)
	if got := d.Annotations[AnnotationImageName]; got != full {
		t.Errorf("%s: io.containerd.image.name = %q, want %q (the name the kubelet asks for)", ref, got, full)
	}
	if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != "amd64" {
		t.Errorf("%s: index platform %+v, want linux/amd64", ref, d.Platform)
	}
	if d.Digest.String() != st.Digest {
		t.Errorf("%s: manifest digest %s, state says %s (import would never see it as present)", ref, d.Digest, st.Digest)
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	// Every blob is there and matches its digest.
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		ld, _ := l.Digest()
		if _, err := os.Stat(filepath.Join(dir, "blobs", ld.Algorithm, ld.Hex)); err != nil {
			t.Errorf("%s: layer blob %s missing", ref, ld)
		}
	}
	return img, st
}

func untar(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := writeFrom(p, tr, 0o644); err != nil {
				return err
			}
		}
	}
}

// rootfs unpacks the image's flattened file system (whiteouts applied) into a directory,
// with owners, modes, symlinks and hard links, and returns an index of its headers.
func rootfs(t *testing.T, img v1.Image) (string, map[string]*tar.Header) {
	t.Helper()
	dir := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdrs := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Clean("/"+h.Name), "/"), "/")
		hdrs[name] = h
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := writeFrom(p, tr, os.FileMode(h.Mode&0o777)); err != nil {
				t.Fatal(err)
			}
		case tar.TypeSymlink:
			os.RemoveAll(p)
			if err := os.Symlink(h.Linkname, p); err != nil {
				t.Fatal(err)
			}
			continue
		case tar.TypeLink:
			os.RemoveAll(p)
			if err := os.Link(filepath.Join(dir, h.Linkname), p); err != nil {
				t.Fatal(err)
			}
			continue
		default:
			continue
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, tarMode(h.Mode)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, hdrs
}

func tarMode(m int64) os.FileMode { return unixMode(uint32(m)) }

func catalogImage(t *testing.T, ref string) Image {
	t.Helper()
	for _, img := range Catalog {
		if img.Ref == ref {
			return img
		}
	}
	t.Fatalf("%s is not in the catalog", ref)
	return Image{}
}

// checkConfig compares the image config with the catalog entry and the label convention.
func checkConfig(t *testing.T, ref string, img v1.Image) *v1.ConfigFile {
	t.Helper()
	want := catalogImage(t, ref)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != want.Config.User {
		t.Errorf("%s: User %q, want %q", ref, c.User, want.Config.User)
	}
	if !slices.Equal(c.Entrypoint, want.Config.Entrypoint) || !slices.Equal(c.Cmd, want.Config.Cmd) {
		t.Errorf("%s: Entrypoint %q Cmd %q, want %q %q", ref, c.Entrypoint, c.Cmd, want.Config.Entrypoint, want.Config.Cmd)
	}
	if !slices.Equal(c.Env, want.Config.Env) || c.WorkingDir != want.Config.WorkingDir {
		t.Errorf("%s: Env %q WorkingDir %q, want %q %q", ref, c.Env, c.WorkingDir, want.Config.Env, want.Config.WorkingDir)
	}
	if got := c.Labels[DescriptionLabel]; !strings.HasPrefix(got, "local stand-in for "+ref+", built from ") {
		t.Errorf("%s: label %s = %q", ref, DescriptionLabel, got)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("%s: platform %s/%s", ref, cf.OS, cf.Architecture)
	}
	return cf
}

// want checks a path of the unpacked image: its type, mode bits and owner.
func want(t *testing.T, hdrs map[string]*tar.Header, path string, typ byte, mode int64, uid int) {
	t.Helper()
	h := hdrs[strings.TrimPrefix(path, "/")]
	if h == nil {
		t.Errorf("%s is not in the image", path)
		return
	}
	if h.Typeflag != typ {
		t.Errorf("%s: type %q, want %q", path, h.Typeflag, typ)
	}
	if mode >= 0 && h.Mode&0o7777 != mode {
		t.Errorf("%s: mode %o, want %o", path, h.Mode&0o7777, mode)
	}
	if uid >= 0 && h.Uid != uid {
		t.Errorf("%s: uid %d, want %d", path, h.Uid, uid)
	}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running the image needs root (chroot)")
	}
}

// inChroot runs a shell command in the unpacked root, in a private mount namespace with
// /proc and the host's /dev (gone with the namespace).
func inChroot(t *testing.T, root string, userspec string, env []string, script string) (string, error) {
	t.Helper()
	outer := `set -e; root="$1"; user="$2"; shift 2
mkdir -p "$root/proc" "$root/dev"
mount -t proc proc "$root/proc"; mount --rbind /dev "$root/dev"
exec chroot --userspec="$user" "$root" "$@"`
	args := []string{"--mount", "--propagation", "private", "--", "sh", "-c", outer, "chroot", root, userspec, "/usr/bin/env", "-i"}
	args = append(args, env...)
	args = append(args, "/bin/sh", "-ec", script)
	cmd := exec.Command("unshare", args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestBuiltNodeSlim(t *testing.T) { checkNode(t, "node:22-bookworm-slim", false) }
func TestBuiltNodeGit(t *testing.T)  { checkNode(t, "node:22-bookworm", true) }

func checkNode(t *testing.T, ref string, git bool) {
	img, _ := loadBuilt(t, ref)
	checkConfig(t, ref, img)
	root, hdrs := rootfs(t, img)
	want(t, hdrs, "/usr/local/bin/node", tar.TypeReg, 0o755, 0)
	want(t, hdrs, "/usr/local/bin/npm", tar.TypeSymlink, -1, 0)
	want(t, hdrs, "/usr/local/bin/npx", tar.TypeSymlink, -1, 0)
	want(t, hdrs, "/usr/local/bin/docker-entrypoint.sh", tar.TypeReg, 0o755, 0)
	want(t, hdrs, "/home/node", tar.TypeDir, -1, 1000)
	if git {
		want(t, hdrs, "/usr/bin/git", tar.TypeReg, 0o755, 0)
	} else if hdrs["usr/bin/git"] != nil {
		t.Error("the slim image has git; the real one does not")
	}
	needRoot(t)
	cf, _ := img.ConfigFile()
	env := cf.Config.Env
	out, err := inChroot(t, root, "1000:1000", append(env, "HOME=/home/node"),
		`node --version; npm --version; npx --version; id -u; docker-entrypoint.sh -p 'process.version'; docker-entrypoint.sh sh -c 'echo as-is'`+
			func() string {
				if git {
					return `; git --version; cd /tmp && git init -q r && echo ok-git`
				}
				return ""
			}())
	if err != nil {
		t.Fatalf("%s: running node in the image: %v\n%s", ref, err, out)
	}
	for _, w := range []string{"v" + NodeVersion + "\n", NpmVersion + "\n", "1000\n", "as-is\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("%s: output lacks %q:\n%s", ref, w, out)
		}
	}
	if strings.Count(out, "v"+NodeVersion) < 2 {
		t.Errorf("%s: the entrypoint did not run `-p process.version` with node:\n%s", ref, out)
	}
	if git && !strings.Contains(out, "ok-git") {
		t.Errorf("%s: git did not work:\n%s", ref, out)
	}
}

func TestBuiltGolang(t *testing.T) {
	ref := "golang:" + GoVersion + "-bookworm"
	img, _ := loadBuilt(t, ref)
	checkConfig(t, ref, img)
	root, hdrs := rootfs(t, img)
	want(t, hdrs, "/usr/local/go/bin/go", tar.TypeReg, 0o755, 0)
	want(t, hdrs, "/usr/local/go/pkg/tool/linux_amd64/compile", tar.TypeReg, 0o755, 0)
	want(t, hdrs, "/go", tar.TypeDir, 0o1777, 0)
	want(t, hdrs, "/etc/ssl/certs/ca-certificates.crt", tar.TypeReg, -1, 0)
	needRoot(t)
	cf, _ := img.ConfigFile()
	// As the init containers do it: a non-root user, read-only sources, HOME and caches in /tmp.
	out, err := inChroot(t, root, "65532:65532", append(cf.Config.Env, "HOME=/tmp", "GOCACHE=/tmp/cache", "CGO_ENABLED=0", "GOPROXY=off"),
		`d=$(mktemp -d) && cd "$d" && printf 'module m\n\ngo 1.26\n' > go.mod && printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("built-here") }\n' > m.go && go build -trimpath -o m . && ./m && go version`)
	if err != nil {
		t.Fatalf("go build in the image: %v\n%s", err, out)
	}
	if !strings.Contains(out, "built-here") || !strings.Contains(out, "go"+GoVersion) {
		t.Errorf("unexpected output:\n%s", out)
	}
}

func TestBuiltDistrolessStatic(t *testing.T) {
	ref := "gcr.io/distroless/static-debian12:nonroot"
	img, _ := loadBuilt(t, ref)
	checkConfig(t, ref, img)
	root, hdrs := rootfs(t, img)
	want(t, hdrs, "/etc/ssl/certs/ca-certificates.crt", tar.TypeReg, 0o644, 0)
	want(t, hdrs, "/usr/share/zoneinfo/Europe/Berlin", tar.TypeReg, -1, 0)
	want(t, hdrs, "/tmp", tar.TypeDir, 0o1777, 0)
	want(t, hdrs, "/home/nonroot", tar.TypeDir, 0o700, 65532)
	for _, shell := range []string{"bin/sh", "usr/bin/sh"} {
		if hdrs[shell] != nil {
			t.Errorf("distroless has no shell, but %s is in the image", shell)
		}
	}
	passwd, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if err != nil || !strings.Contains(string(passwd), "nonroot:x:65532:65532:") {
		t.Errorf("etc/passwd lacks nonroot 65532: %q %v", passwd, err)
	}
	if pem, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil || strings.Count(string(pem), "BEGIN CERTIFICATE") < 50 {
		t.Errorf("the CA bundle has %d certificates (%v)", strings.Count(string(pem), "BEGIN CERTIFICATE"), err)
	}
}

func TestBuiltPause(t *testing.T) {
	ref := "registry.k8s.io/pause:3.10.1"
	img, _ := loadBuilt(t, ref)
	checkConfig(t, ref, img)
	root, hdrs := rootfs(t, img)
	want(t, hdrs, "/usr/bin/catatonit", tar.TypeReg, 0o755, 0)
	needRoot(t)
	// Pause mode as pid 1 of its own pid namespace, as the sandbox's user: it stays up,
	// then SIGTERM ends it.
	cmd := exec.Command("/usr/bin/catatonit", "-P")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     root,
		Cloneflags: syscall.CLONE_NEWPID,
		Credential: &syscall.Credential{Uid: 65535, Gid: 65535},
	}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("pause exited on its own: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("pause did not exit on SIGTERM")
	}
}

func TestBuiltBusybox(t *testing.T) {
	ref := "cloud-codex.local/busybox:1.35"
	img, _ := loadBuilt(t, ref)
	checkConfig(t, ref, img)
	root, hdrs := rootfs(t, img)
	// Every applet is a hard link to one file; which name the tar holds the data under
	// depends on the order (usr/bin/[ comes first).
	if h := hdrs["usr/bin/busybox"]; h == nil || (h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeLink) {
		t.Errorf("usr/bin/busybox: %+v", h)
	}
	if h := hdrs["usr/bin/sh"]; h == nil || h.Typeflag != tar.TypeLink {
		t.Errorf("usr/bin/sh should be a hard link to busybox: %+v", h)
	}
	want(t, hdrs, "/bin", tar.TypeSymlink, -1, 0)
	needRoot(t)
	// What local-path-provisioner's helper pod runs: /bin/sh /script/setup.
	if err := os.MkdirAll(filepath.Join(root, "script"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "script/setup"), []byte("set -eu\nmkdir -m 0777 -p \"$VOL_DIR\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := inChroot(t, root, "0:0", []string{"PATH=" + defaultPath, "VOL_DIR=/var/vol/pvc-1"}, `/bin/sh /script/setup && stat -c %a /var/vol/pvc-1 && rm -rf /var/vol`)
	if err != nil || !strings.Contains(out, "777") {
		t.Fatalf("setup script in busybox: %v\n%s", err, out)
	}
}

func TestBuiltLiteLLMStandin(t *testing.T) {
	ref := "cloud-codex.local/litellm-standin:dev"
	img, _ := loadBuilt(t, ref)
	cf := checkConfig(t, ref, img)
	if !slices.Contains(cf.Config.Env, "HOME=/app") {
		t.Errorf("HOME is not /app: %q", cf.Config.Env)
	}
	_, hdrs := rootfs(t, img)
	want(t, hdrs, "/usr/local/bin/litellm", tar.TypeReg, 0o755, 0)
	want(t, hdrs, "/app", tar.TypeDir, 0o755, 65534)
	want(t, hdrs, "/tmp", tar.TypeDir, 0o1777, 0)
}

// The postgres stand-in initialises an empty PGDATA from the pod's environment as uid 999
// and serves TCP on 127.0.0.1 with the password, which is what the auth pool's database
// StatefulSet (components/authpool_database.go) and its pg_isready probe rely on.
func TestBuiltPostgres(t *testing.T) {
	ref := "postgres:17.6-bookworm"
	img, _ := loadBuilt(t, ref)
	cf := checkConfig(t, ref, img)
	if cf.Config.StopSignal != "SIGINT" {
		t.Errorf("StopSignal %q, want SIGINT", cf.Config.StopSignal)
	}
	root, hdrs := rootfs(t, img)
	bin := "/usr/lib/postgresql/" + PostgresMajor + "/bin/"
	want(t, hdrs, bin+"postgres", tar.TypeReg, 0o755, 0)
	want(t, hdrs, "/usr/local/bin/docker-entrypoint.sh", tar.TypeReg, 0o755, 0)
	// /var/run is Debian's link to /run; the pod's volume at /var/run/postgresql lands here.
	want(t, hdrs, "/var/run", tar.TypeSymlink, -1, 0)
	want(t, hdrs, "/run/postgresql", tar.TypeDir, 0o3777, 999)
	needRoot(t)
	port := freePort(t)
	// initdb trusts local and loopback connections (as in the real image); the password
	// rule the entrypoint appends is for every other address, so try one of those.
	remote := externalIPv4()
	env := append(slices.Clone(cf.Config.Env), "POSTGRES_USER=litellm", "POSTGRES_DB=litellm", "POSTGRES_PASSWORD=s3cret",
		"PGDATA=/var/lib/postgresql/data/pgdata", "HOME=/var/lib/postgresql")
	script := fmt.Sprintf(`docker-entrypoint.sh postgres -p %[1]d > /tmp/pg.log 2>&1 &
for i in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p %[1]d -U litellm -d litellm && break; sleep 0.5; done
pg_isready -h 127.0.0.1 -p %[1]d -U litellm -d litellm
PGPASSWORD=s3cret psql -h 127.0.0.1 -p %[1]d -U litellm -d litellm -tAc 'select current_user, current_database()'
if [ -n "%[2]s" ]; then
  PGPASSWORD=s3cret psql -h %[2]s -p %[1]d -U litellm -d litellm -tAc "select 'remote-' || 'ok'"
  if PGPASSWORD=wrong psql -h %[2]s -p %[1]d -U litellm -d litellm -c 'select 1' 2>/dev/null; then echo password-not-checked; fi
fi
pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
cat /tmp/pg.log`, port, remote)
	out, err := inChroot(t, root, "999:999", env, script)
	if err != nil {
		t.Fatalf("postgres entrypoint: %v\n%s", err, out)
	}
	for _, w := range []string{"accepting connections", "litellm|litellm", "PostgreSQL init process complete"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if remote == "" {
		t.Log("no non-loopback IPv4 address: the password check over TCP was not tried")
	} else if !strings.Contains(out, "remote-ok") {
		t.Errorf("the right password was refused from %s:\n%s", remote, out)
	}
	if strings.Contains(out, "password-not-checked") {
		t.Errorf("a wrong password was accepted over TCP:\n%s", out)
	}
	if data, err := os.ReadFile(filepath.Join(root, "var/lib/postgresql/data/pgdata/pg_hba.conf")); err != nil || !strings.Contains(string(data), "host all all all scram-sha-256") {
		t.Errorf("pg_hba.conf lacks the remote scram-sha-256 rule (%v)", err)
	}
	// A second start on the initialised directory skips initialisation.
	out, err = inChroot(t, root, "999:999", env, fmt.Sprintf(`docker-entrypoint.sh postgres -p %[1]d > /tmp/pg2.log 2>&1 &
for i in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p %[1]d && break; sleep 0.5; done
pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null; cat /tmp/pg2.log`, port))
	if err != nil || !strings.Contains(out, "Skipping initialization") {
		t.Errorf("restart on existing data: %v\n%s", err, out)
	}
}

// externalIPv4 is an address of this machine that is not loopback, or "".
func externalIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}
