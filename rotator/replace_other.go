//go:build !unix

package rotator

import (
	"io/fs"
	"os"
)

// openNoFollow opens path for reading; readRegular has checked that it is a regular file.
func openNoFollow(path string) (*os.File, error) { return os.Open(path) }

// lockDir has no portable flock outside Unix: writers are not serialised there.
func lockDir(string) (unlock func()) { return func() {} }

// replaceableBy has no ownership rule to apply outside Unix: the write itself decides.
func replaceableBy(dir, file fs.FileInfo, name string, euid int) error { return nil }
