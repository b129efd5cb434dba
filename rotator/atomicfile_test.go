package rotator

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "auth-1.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	temps := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, ".auth-1.json"+tempMarker+"*"))
		return m
	}
	content := func() string {
		data, _ := os.ReadFile(target)
		return string(data)
	}

	t.Run("replaces with mode", func(t *testing.T) {
		if err := (&atomicWriter{}).write(target, []byte("new"), 0o600); err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(target)
		if content() != "new" || info.Mode().Perm() != 0o600 || len(temps()) != 0 {
			t.Errorf("content %q, mode %v, temps %v", content(), info.Mode().Perm(), temps())
		}
	})
	t.Run("failed rename keeps the old file and cleans up", func(t *testing.T) {
		w := &atomicWriter{rename: func(string, string) error { return errors.New("injected") }}
		if err := w.write(target, []byte("newer"), 0o600); err == nil {
			t.Fatal("write succeeded despite the failed rename")
		}
		if content() != "new" || len(temps()) != 0 {
			t.Errorf("content %q, temps %v; want the old file and no temp", content(), temps())
		}
	})
	t.Run("crash before rename leaves the old file and a complete temp", func(t *testing.T) {
		w := &atomicWriter{crashAfterTempWrite: func(string, string) error { return errors.New("crash") }}
		if err := w.write(target, []byte("newest"), 0o600); err == nil {
			t.Fatal("write succeeded despite the crash")
		}
		ts := temps()
		if content() != "new" || len(ts) != 1 {
			t.Fatalf("content %q, temps %v", content(), ts)
		}
		if data, _ := os.ReadFile(ts[0]); string(data) != "newest" {
			t.Errorf("temp holds %q, want the complete new content", data)
		}
		if got, ok := tempTarget(filepath.Base(ts[0])); !ok || got != "auth-1.json" {
			t.Errorf("tempTarget(%s) = %q, %v", filepath.Base(ts[0]), got, ok)
		}
	})
	t.Run("refuses empty content", func(t *testing.T) {
		if err := (&atomicWriter{}).write(target, nil, 0o600); err == nil || content() != "new" {
			t.Errorf("empty write: err %v, content %q", err, content())
		}
	})
}

func TestTempTarget(t *testing.T) {
	for name, want := range map[string]string{
		".auth.json.tmp-1":              "auth.json",
		".auth-12.json.tmp-99":          "auth-12.json",
		".rotator-status.json.tmp-3":    "rotator-status.json",
		"auth-1.json":                   "",
		".tmp-1":                        "",
		".hidden":                       "",
		".a.tmp-1.tmp-2":                "a.tmp-1",
		".rescued-auth-1.json.tmp-1234": "rescued-auth-1.json",
	} {
		got, ok := tempTarget(name)
		if got != want || ok != (want != "") {
			t.Errorf("tempTarget(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
