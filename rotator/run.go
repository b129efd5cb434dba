package rotator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// checkEvery is how often the run loop looks at the files: often enough to copy LiteLLM's
// refreshed tokens back soon and to notice an import, cheap because nothing else happens
// until the interval elapses.
const checkEvery = time.Minute

// Start prepares a run: it finishes interrupted writes and does a first Tick.
func (r *Rotator) Start(ctx context.Context) {
	r.mu.Lock()
	r.recoverTemps()
	r.mu.Unlock()
	r.Tick(ctx)
}

// Run is the sidecar: it rotates the account in LiteLLM's flat file every cfg.Interval
// (at least MinInterval), listens on listen for LiteLLM's logging callback (a 429 parks
// the account and switches at once), and stops when ctx ends.
func Run(ctx context.Context, cfg Config, listen string) error {
	if err := cfg.ValidateInterval(); err != nil {
		return err
	}
	r, err := New(cfg)
	if err != nil {
		return err
	}
	r.life = ctx
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening for LiteLLM events: %w", err)
	}
	r.cfg.Logger.Printf("run: accounts %s in rotation every %s, reserved %s; LiteLLM events on http://%s%s",
		FormatAccountList(r.cfg.Accounts), r.cfg.Interval, orNone(FormatAccountList(r.cfg.Reserved)), ln.Addr(), EventsPath)
	r.Start(ctx)

	srv := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	ticker := time.NewTicker(checkEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return r.stop(srv)
		case err := <-serveErr:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("event listener: %w", err)
		case <-ticker.C:
			r.Tick(ctx)
		}
	}
}

// shutdownWait bounds how long a stopping rotator waits for LiteLLM event POSTs in
// progress. It covers the end of a token exchange in flight (at most StopWait once the
// stop is asked for: refresh.go) and the writes after it.
const shutdownWait = StopWait + 5*time.Second

// TerminationGracePeriod is the termination grace period a pod running the rotator must
// give it: shutdownWait, then storing the last pair and exiting. Kubernetes' default (30 s)
// would kill a rotator waiting for a sent exchange's answer and lose that account's login;
// the pool's pod sets this (components/authpool_deployment.go). A stop with no exchange in
// flight takes well under a second, so only such a stop waits longer.
const TerminationGracePeriod = shutdownWait + 15*time.Second

// stop ends the run without losing a token: the listener stops taking requests, requests
// in progress finish, and any token exchange still in flight (every exchange holds r.mu)
// completes and is stored before stop returns. No new exchange starts once r.life has
// ended. A refreshed pair that is still unsaved then is lost with the process: stop
// returns that as an error, so the command exits non-zero and says which accounts need a
// new login.
func (r *Rotator) stop(srv *http.Server) error {
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writePending()
	r.saveStatus()
	if err := r.lostOnStop(); err != nil {
		r.cfg.Logger.Printf("stopped with tokens NOT saved: no token exchange in flight")
		return err
	}
	r.cfg.Logger.Printf("stopped: no token exchange in flight")
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
