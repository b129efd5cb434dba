//go:build tools

// Package tools pins local-path-provisioner (its root package is the command).
package tools

import _ "github.com/rancher/local-path-provisioner"
