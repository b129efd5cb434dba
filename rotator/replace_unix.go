//go:build unix

package rotator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on the directory dir and returns its release. Import
// and the rotator both take it around every read-check-write of an account file, so
// neither writes between the other's check and its rename (see store.lockAccounts). It is
// advisory and best effort: a volume without flock (some network file systems) is used
// unlocked, as before.
func lockDir(dir string) (unlock func()) {
	f, err := os.Open(dir)
	if err != nil {
		return func() {}
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return func() {}
	}
	return func() { f.Close() } // closing the only descriptor releases the lock
}

// openNoFollow opens path for reading without following a symbolic link, and without
// blocking on a FIFO (O_NONBLOCK does not change reads of a regular file).
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// replaceableBy applies the kernel's rule for renaming over an existing file in a sticky
// directory: allowed to the file's owner, the directory's owner and root (CAP_FOWNER). In a
// directory without the sticky bit, write permission on the directory is enough, and the
// write probe has shown that.
func replaceableBy(dir, file fs.FileInfo, name string, euid int) error {
	if dir.Mode()&fs.ModeSticky == 0 || euid == 0 {
		return nil
	}
	ds, dok := dir.Sys().(*syscall.Stat_t)
	fsys, fok := file.Sys().(*syscall.Stat_t)
	if !dok || !fok {
		return nil // no owner information: leave it to the write itself
	}
	if int(fsys.Uid) == euid || int(ds.Uid) == euid {
		return nil
	}
	return fmt.Errorf("%s is owned by uid %d in a sticky directory owned by uid %d: the rotator (uid %d) cannot replace it",
		name, fsys.Uid, ds.Uid, euid)
}
