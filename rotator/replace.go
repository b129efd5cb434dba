package rotator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A directory that takes new files can still refuse to let the rotator replace one of its
// files: in a sticky directory (mode 1777) only a file's owner, or the directory's, may
// rename over it. The write probe creates and renames a file of its own, so it cannot see
// that; canReplace looks at each file a refresh will replace, before the token is spent.

// canReplace reports why the rotator could not atomically replace path (nil if it can, or
// if path does not exist yet: the probe has shown that new files can be made).
func canReplace(path string) error {
	name := filepath.Base(path)
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", name, err)
	}
	if info.IsDir() {
		return fmt.Errorf("%s is a directory", name)
	}
	dir, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("checking the directory of %s: %w", name, err)
	}
	return replaceableBy(dir, info, name, os.Geteuid())
}

// probeRefresh proves, before account n is refreshed, that what the refresh produces can
// be stored: the volume takes writes (probeWritable), and auth-N.json and LiteLLM's token
// file, the two files the new pair goes to, can be replaced.
func (r *Rotator) probeRefresh(n int) error {
	if err := r.probeWritable(); err != nil {
		return err
	}
	if err := r.store.clearFlatDir(); err != nil {
		return &VolumeError{Dir: r.cfg.Dir, Err: err}
	}
	for _, p := range []string{r.store.accountPath(n), r.store.flatPath()} {
		if err := canReplace(p); err != nil {
			return &VolumeError{Dir: r.cfg.Dir, Err: err}
		}
	}
	return nil
}
