package components

import (
	"sync"

	"cloud-codex/keyregistrar"
)

// The key registrar's source tree is the same for every agent: read it from the embedded
// files, and hash it, once per program run instead of twice per agent (issue 11: it was a
// tenth of the program's allocations at 100 agents). Callers must not modify the slice.
var (
	keyRegistrarSourceFiles = sync.OnceValue(keyregistrar.SourceFiles)
	keyRegistrarChecksum    = sync.OnceValue(keyregistrar.SourceChecksum)
)
