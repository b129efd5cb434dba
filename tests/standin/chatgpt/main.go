// Command chatgpt is a STAND-IN for the ChatGPT codex backend
// (https://chatgpt.com/backend-api/codex, LiteLLM's CHATGPT_API_BASE), not ChatGPT. It answers
// POST /responses with a short Responses API SSE stream that the codex CLI accepts, and records
// every request it gets (the Authorization header, ChatGPT-Account-Id, originator, session_id,
// model, and every header and body field) so tests can assert which access token and account
// the LiteLLM stand-in (or the real LiteLLM) sent, and that no agent key ever reached it.
//
// Records are served as a JSON array at GET /_records and, with --records <file>, appended to
// that file as JSON lines. POST /_faults makes the next requests fail (e.g. a 429
// usage_limit_reached) to exercise the rotator. It listens on loopback unless told otherwise.
//
// Usage:
//
//	chatgpt --listen 127.0.0.1:0 [--records /tmp/chatgpt-records.jsonl] [--reply "text"]
//
// It prints "chatgpt-standin: listening on http://<addr>" on stdout once it accepts
// connections.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chatgpt-standin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chatgpt-standin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (loopback by default)")
	records := fs.String("records", "", "append each request's record to this JSON-lines file")
	reply := fs.String("reply", defaultReply, "text of every answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	log.SetOutput(stderr)
	log.SetFlags(log.LstdFlags | log.LUTC)

	b, err := newBackend(*records, *reply)
	if err != nil {
		return err
	}
	defer b.close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	srv := &http.Server{Handler: b.routes(), ReadHeaderTimeout: 30 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "chatgpt-standin: listening on http://%s\n", ln.Addr())

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(shutCtx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
