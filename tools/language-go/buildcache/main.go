// Command pulumi-language-go starts Pulumi's Go language host with a build target that is
// fixed per program directory, so a program that has not changed is not linked again on
// every pulumi run.
//
// Why: the host we can build offline (sdk/v3 v3.66.0) compiles the program into a new
// temporary file unless it is started with -buildTarget, and CLI v3.274.1 passes runtime
// options over RPC, which that host does not read; so every preview and both phases of every
// up paid a full link (~2.7 s for this program). `go build -o` into a path that already
// holds an up-to-date binary does not link (Go compares build IDs, which hash every input),
// so a stable path turns that cost into ~0.2 s without ever running a stale program.
//
// The target lives in $CLOUD_CODEX_PROGRAM_CACHE (default: the user cache directory's
// cloud-codex/programs), one entry per program directory, held under an flock for the host's
// lifetime: a second concurrent pulumi run in the same directory gets the host's own
// temporary build instead of racing the first one's binary. CLOUD_CODEX_PROGRAM_CACHE=off
// turns the cache off.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// hostName is the real language host, installed next to this binary by scripts/tools.sh.
const hostName = "pulumi-language-go-host"

func main() {
	host, err := realHost()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-go: %v\n", err)
		os.Exit(1)
	}
	args := os.Args[1:]
	if target, err := buildTarget(); err != nil {
		// The cache is an optimisation: say why it is off and run the host as it would run.
		fmt.Fprintf(os.Stderr, "pulumi-language-go: program build cache not used: %v\n", err)
	} else if target != "" {
		args = append([]string{"-buildTarget=" + target}, args...)
	}
	err = syscall.Exec(host, append([]string{host}, args...), os.Environ())
	fmt.Fprintf(os.Stderr, "pulumi-language-go: exec %s: %v\n", host, err)
	os.Exit(1)
}

func realHost() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locating this executable: %w", err)
	}
	self, err = filepath.EvalSymlinks(self)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", self, err)
	}
	host := filepath.Join(filepath.Dir(self), hostName)
	if _, err := os.Stat(host); err != nil {
		return "", fmt.Errorf("the language host %s is missing (run scripts/tools.sh): %w", host, err)
	}
	return host, nil
}

// buildTarget returns the fixed build path for the program in the working directory (the
// CLI starts the host in the program's directory), or "" when the cache is off or busy.
// On success the entry's lock stays held, across exec, until the host exits.
func buildTarget() (string, error) {
	root := os.Getenv("CLOUD_CODEX_PROGRAM_CACHE")
	if root == "off" {
		return "", nil
	}
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory (set CLOUD_CODEX_PROGRAM_CACHE): %w", err)
		}
		root = filepath.Join(cache, "cloud-codex", "programs")
	}
	program, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	pruneEntries(root)
	sum := sha256.Sum256([]byte(program))
	entry := filepath.Join(root, hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(entry, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", entry, err)
	}
	if fd, err := tryLock(filepath.Join(entry, "lock")); err != nil || fd < 0 {
		return "", err
	}
	// The source path lets pruneEntries drop entries of program directories that are gone.
	if err := os.WriteFile(filepath.Join(entry, "source"), []byte(program), 0o644); err != nil {
		return "", fmt.Errorf("recording the program directory: %w", err)
	}
	return filepath.Join(entry, "program"), nil
}

// tryLock takes an exclusive, non-blocking flock on path and returns its descriptor, or -1
// when another language host holds it. syscall.Open does not set close-on-exec, so a
// descriptor left open keeps the lock across exec for exactly as long as the host runs.
func tryLock(path string) (int, error) {
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		return -1, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		syscall.Close(fd)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return -1, nil
		}
		return -1, fmt.Errorf("locking %s: %w", path, err)
	}
	return fd, nil
}

// pruneEntries removes the entries (a ~75 MB binary each) whose program directory no longer
// exists, such as a deleted clone's; entries in use are locked and left alone.
func pruneEntries(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		source, err := os.ReadFile(filepath.Join(dir, "source"))
		if err != nil {
			continue
		}
		if _, err := os.Stat(string(source)); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		fd, err := tryLock(filepath.Join(dir, "lock"))
		if err != nil || fd < 0 {
			continue
		}
		_ = os.RemoveAll(dir)
		syscall.Close(fd)
	}
}
