package info

import "github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

func tokenType(s string) tokens.Type { return tokens.Type(s) }
