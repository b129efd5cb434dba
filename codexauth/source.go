package codexauth

import "embed"

// Sources holds this package's non-test Go files: the rotator, compiled inside its pod from
// source shipped in a ConfigMap, ships them too (go:embed cannot reach this directory from
// ../rotator). Listed one by one because go:embed cannot exclude *_test.go from a glob;
// TestSourcesEmbedEveryFile fails if one is missing.
//
//go:embed codexauth.go expiresat.go flatshape.go identity.go jwt.go source.go
var Sources embed.FS
