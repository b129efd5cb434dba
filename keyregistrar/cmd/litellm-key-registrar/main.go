// Command litellm-key-registrar registers one LiteLLM virtual key with its model allowlist
// (generate, or update when it exists), then exits: 0 when LiteLLM holds the key as
// declared, 1 when it does not (LiteLLM's answer is in the log), 2 on bad input.
// See docs/virtual-keys.md.
//
//	LITELLM_MASTER_KEY=… LITELLM_VIRTUAL_KEY=… litellm-key-registrar \
//	    --url http://litellm.ns.svc.cluster.local:4000/v1 --alias cloud-codex-cody \
//	    --model codex-cli/gpt-5.4 [--model …] [--metadata agent=cody …]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"cloud-codex/keyregistrar"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("litellm-key-registrar", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg keyregistrar.Config
	var models, metadata listFlag
	fs.StringVar(&cfg.URL, "url", "", "LiteLLM's base URL, with or without /v1 (required)")
	fs.StringVar(&cfg.Alias, "alias", "", "the key's key_alias (required)")
	fs.Var(&models, "model", "a model the key may call (repeat; at least one)")
	fs.Var(&metadata, "metadata", "key=value stored in the key's metadata (repeat)")
	fs.DurationVar(&cfg.ReadyTimeout, "ready-timeout", keyregistrar.DefaultReadyTimeout, "how long to wait for LiteLLM's /health/readiness (negative: do not wait)")
	fs.DurationVar(&cfg.ReadyInterval, "ready-interval", keyregistrar.DefaultReadyInterval, "pause between readiness probes")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", keyregistrar.DefaultRequestTimeout, "timeout of each HTTP request")
	fs.IntVar(&cfg.Attempts, "attempts", keyregistrar.DefaultAttempts, "tries per API call when LiteLLM cannot answer (transport error, timeout, 429, 5xx)")
	fs.DurationVar(&cfg.Backoff, "backoff", keyregistrar.DefaultBackoff, "delay before the first retry (doubled each time, at most 30s)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "litellm-key-registrar: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	cfg.Models = models
	cfg.Metadata = map[string]string{}
	for _, kv := range metadata {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "litellm-key-registrar: --metadata %q: want key=value\n", kv)
			return exitUsage
		}
		cfg.Metadata[k] = v
	}
	cfg.MasterKey = getenv(keyregistrar.EnvMasterKey)
	cfg.Key = getenv(keyregistrar.EnvKey)
	cfg.Log = stdout
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "litellm-key-registrar: invalid input: %v (env %s and %s hold the two keys)\n",
			err, keyregistrar.EnvMasterKey, keyregistrar.EnvKey)
		return exitUsage
	}
	if _, err := keyregistrar.Register(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "litellm-key-registrar: FAILED: %v\n", err)
		return exitError
	}
	return exitOK
}
