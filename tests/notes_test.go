package tests

import (
	"fmt"
	"os"
	"testing"
)

// note records something a person running `make test` should read although the test
// passed (what this machine cannot check, and why). `go test ./...` prints a passing
// package's output only with -v, so besides the test log the note is appended to the file
// scripts/test.sh names in CLOUD_CODEX_TEST_NOTES and prints after the run.
func note(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	t.Log("NOTE: " + msg)
	path := os.Getenv("CLOUD_CODEX_TEST_NOTES")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Errorf("writing the note to %s: %v", path, err)
		return
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s: %s\n", t.Name(), msg); err != nil {
		t.Errorf("writing the note to %s: %v", path, err)
	}
}
