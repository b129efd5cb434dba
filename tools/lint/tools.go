//go:build tools

// Package tools pins the linters' main packages so `go mod tidy` keeps their dependencies.
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
