package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "litellm-standin:", err)
		os.Exit(1)
	}
}

// run starts the stand-in and serves until ctx ends. It writes nothing to disk except the
// key store under $LITELLM_STANDIN_STATE_DIR, so it runs on a read-only root filesystem.
func run(ctx context.Context, args []string, getenv func(string) string, logOut io.Writer) error {
	log.SetOutput(logOut)
	log.SetFlags(log.LstdFlags | log.LUTC)
	opts, err := parseArgs(args, getenv)
	if err != nil {
		return err
	}
	st, err := loadSettings(opts.configPath, getenv)
	if err != nil {
		return err
	}
	s, err := newServer(st, getenv)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(opts.host, strconv.Itoa(opts.port)))
	if err != nil {
		return fmt.Errorf("listen on %s:%d: %w", opts.host, opts.port, err)
	}
	for _, line := range s.startupSummary() {
		log.Printf("litellm-standin: %s", line)
	}
	log.Printf("litellm-standin: listening on http://%s", ln.Addr())

	var wg sync.WaitGroup
	loggerCtx, stopLogger := context.WithCancel(context.Background())
	if s.logger != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.logger.run(loggerCtx) }()
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 30 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Printf("litellm-standin: shutting down")
		shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutCtx)
		cancel()
	}
	// The callback flushes what is queued before the process exits.
	stopLogger()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
