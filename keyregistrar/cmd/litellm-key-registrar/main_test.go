package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"cloud-codex/keyregistrar"
	"cloud-codex/keyregistrar/internal/litellmstub"
)

const (
	master = "sk-master0123456789abcdefghijklmnopqrstuvwxyzABCD"
	key    = "sk-agentkey0123456789abcdefghijklmnopqrstuvwxyzAB"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRun(t *testing.T) {
	stub := litellmstub.New(master)
	defer stub.Close()
	secrets := map[string]string{keyregistrar.EnvMasterKey: master, keyregistrar.EnvKey: key}
	args := []string{"--url", stub.URL, "--alias", "cloud-codex-cody", "--model", "codex-cli/gpt-5.4", "--model", "codex-cli/gpt-5.3",
		"--metadata", "agent=cody", "--metadata", "managed-by=cloud-codex", "--ready-interval", "1ms", "--backoff", "1ms"}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"registers", args, secrets, exitOK, "created"},
		{"again", args, secrets, exitOK, "updated"},
		{"bad master key", args, map[string]string{keyregistrar.EnvMasterKey: "sk-wrong0123456789abcdefghijklmnopqrstuvwxyz", keyregistrar.EnvKey: key}, exitError, "FAILED"},
		{"no key", args, map[string]string{keyregistrar.EnvMasterKey: master}, exitUsage, keyregistrar.EnvKey},
		{"no model", []string{"--url", stub.URL, "--alias", "a"}, secrets, exitUsage, "allowlist is empty"},
		{"bad metadata", append(append([]string{}, args...), "--metadata", "novalue"), secrets, exitUsage, "want key=value"},
		{"stray argument", append(append([]string{}, args...), "extra"), secrets, exitUsage, "unexpected arguments"},
		{"unknown flag", []string{"--nope"}, secrets, exitUsage, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, env(tc.env), &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("run = %d, want %d with %q:\n%s", code, tc.code, tc.want, out)
			}
			if strings.Contains(out, master) || strings.Contains(out, key) {
				t.Errorf("a key leaked:\n%s", out)
			}
		})
	}
	keys := stub.Keys()
	if len(keys) != 1 || strings.Join(keys[0].Models, ",") != "codex-cli/gpt-5.4,codex-cli/gpt-5.3" || keys[0].Metadata["managed-by"] != "cloud-codex" {
		t.Errorf("keys %+v", keys)
	}
}
