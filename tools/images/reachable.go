package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// reachable asks ref's registry for its manifest (a HEAD request, anonymous) within
// timeout. The import uses it to decide between pulling the real image, which may take
// minutes, and importing the local stand-in, without waiting for a pull to time out.
func reachable(ref string, timeout time.Duration) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", ref, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if _, err := remote.Head(r, remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("%s: registry did not serve the manifest: %w", ref, err)
	}
	return nil
}
