package rotator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempMarker separates the target's name from CreateTemp's random suffix in a temp file's
// name: ".auth-2.json.tmp-123456" is a pending replacement of auth-2.json. The leading dot
// keeps temp files out of the way of anything that lists auth-N.json files.
const tempMarker = ".tmp-"

// atomicWriter replaces files so that a reader (LiteLLM, or the rotator after a crash)
// sees either the old content or the new, never a mix or an empty file: the content goes
// to a temp file in the same directory, is fsynced, renamed over the target, and the
// directory is fsynced so the rename itself survives a power loss.
type atomicWriter struct {
	// rename replaces os.Rename when set (tests inject a failing rename).
	rename func(oldpath, newpath string) error
	// refuse, when set and returning an error, fails a write before its temp file is
	// created, as a read-only, full or foreign-owned volume does (tests run as root, for
	// whom permissions do not stop a write).
	refuse func(target string) error
	// crashAfterTempWrite, when set and returning an error, stops a write right after the
	// temp file is complete and synced, leaving it behind as a process that died at that
	// point would. Tests use it to prove the old file survives and the temp is recovered.
	crashAfterTempWrite func(tmp, target string) error
	// logf reports a failed directory fsync, which happens after the rename and so is not
	// a failed write.
	logf func(format string, args ...any)
}

// write atomically replaces path with data, with permissions perm.
func (w *atomicWriter) write(path string, data []byte, perm fs.FileMode) error {
	base := filepath.Base(path)
	if len(data) == 0 {
		return fmt.Errorf("write %s: refusing to write an empty file", base)
	}
	dir := filepath.Dir(path)
	if w.refuse != nil {
		if err := w.refuse(path); err != nil {
			return fmt.Errorf("write %s: %w", base, err)
		}
	}
	f, err := os.CreateTemp(dir, "."+base+tempMarker+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", base, err)
	}
	tmp := f.Name()
	keepTemp := false
	defer func() {
		if !keepTemp {
			os.Remove(tmp)
		}
	}()
	if err := writeSyncClose(f, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", base, err)
	}
	if w.crashAfterTempWrite != nil {
		if err := w.crashAfterTempWrite(tmp, path); err != nil {
			keepTemp = true
			return fmt.Errorf("write %s: %w", base, err)
		}
	}
	rename := w.rename
	if rename == nil {
		rename = os.Rename
	}
	if err := rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", base, err)
	}
	keepTemp = true // it is the target now
	if err := syncDir(dir); err != nil && w.logf != nil {
		w.logf("write %s: replaced, but syncing directory %s failed: %v", base, dir, err)
	}
	return nil
}

func writeSyncClose(f *os.File, data []byte, perm fs.FileMode) error {
	err := f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// tempTarget returns the file a leftover temp file was meant to replace, if name is one
// of this writer's temp files.
func tempTarget(name string) (target string, ok bool) {
	if !strings.HasPrefix(name, ".") {
		return "", false
	}
	i := strings.LastIndex(name, tempMarker)
	if i <= 1 {
		return "", false
	}
	return name[1:i], true
}
