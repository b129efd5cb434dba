// Command gen writes the two files the provider embeds: the module's schema.json with its
// "version" set to the plugin version (the CLI matches it against the SDK's request), and
// terraform-mapping.json re-encoded compactly.
//
// Usage: go run ./gen -module-dir DIR -version 4.25.0 -out cmd/pulumi-resource-kubernetes
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	moduleDir := flag.String("module-dir", "", "directory of github.com/pulumi/pulumi-kubernetes/provider/v4 in the module cache")
	version := flag.String("version", "", "plugin version to stamp into the schema, e.g. 4.25.0")
	out := flag.String("out", "", "directory of the provider main package")
	flag.Parse()
	if *moduleDir == "" || *version == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -module-dir, -version and -out are required")
		os.Exit(2)
	}
	src := filepath.Join(*moduleDir, "cmd", "pulumi-resource-kubernetes")
	if err := rewrite(filepath.Join(src, "schema.json"), filepath.Join(*out, "schema-embed.json"), func(doc map[string]any) {
		doc["version"] = *version
	}); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := rewrite(filepath.Join(src, "terraform-mapping.json"), filepath.Join(*out, "terraform-mapping-embed.json"), nil); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func rewrite(from, to string, edit func(map[string]any)) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	if edit != nil {
		edit(doc)
	}
	encoded, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	return os.WriteFile(to, encoded, 0o644)
}
