package rotator

import (
	"bytes"
	"fmt"
	"time"

	"cloud-codex/codexauth"
)

// A token exchange holds the rotator (r.mu) until the endpoint answers, and an exchange
// that has been sent is never abandoned early (refresh.go). Meanwhile the access token in
// LiteLLM's file keeps running out. Whatever is being refreshed (the active account ahead
// of LiteLLM, the next account of a switch, a login check), LiteLLM must never be left
// with a token inside its own refresh window: its refresh of a token the rotator may just
// have spent fails, and a failed refresh is its in-request device login. So every exchange
// in run is watched: when the flat file's token gets down to failFastLeft, the watch
// replaces the file with the fail-fast file, and the exchange goes on; its result is
// stored and, if usable, handed to LiteLLM afterwards.

// failFastLeft is how much validity LiteLLM's token may have left before it has to give
// way to the fail-fast file: LiteLLM's refresh skew and a margin for the write.
const failFastLeft = liteLLMRefreshSkew + 30*time.Second

// maxExchangesPerRound bounds the token exchanges of one tick or one LiteLLM event: each
// may wait minutes for an answer under r.mu, and in an endpoint outage every account would
// otherwise be tried in a row, every tick. Accounts not tried are tried at the next tick.
const maxExchangesPerRound = 3

// newRound starts a tick or the handling of an event: its exchange budget is full.
func (r *Rotator) newRound() { r.exchanges = 0 }

// exchangeBudget says why no token exchange may start in this round ("" if one may), and
// counts the one that starts.
func (r *Rotator) exchangeBudget() string {
	if r.seeding {
		return "" // seed: LiteLLM is not running, so no time runs out
	}
	if r.exchanges >= maxExchangesPerRound {
		return fmt.Sprintf("not refreshed now: this round's %d token exchanges are used up (tried again at the next tick)", maxExchangesPerRound)
	}
	r.exchanges++
	return ""
}

// flatWatch is the watch over LiteLLM's token file during one token exchange.
type flatWatch struct {
	stopCh   chan struct{}
	finished chan struct{}
	fired    bool   // set by the watch before finished is closed
	why      string // what the fail-fast file says
}

// watchFlat starts watching LiteLLM's token file for the exchange about to start (nil:
// nothing to watch: seed, where LiteLLM is not running, or a file that holds no login).
// The tokens in the file are stored first (copied back or rescued), as before any
// replacement of it, so the watch itself never has to.
func (r *Rotator) watchFlat(now time.Time) *flatWatch {
	if r.seeding {
		return nil
	}
	data, err := r.store.readFile(r.store.flatPath())
	if err != nil || isFailFast(data) {
		return nil
	}
	f, err := codexauth.ParseFlatToken(data)
	if err != nil {
		return nil
	}
	if _, err := r.keepFlatTokens(now); err != nil {
		r.cfg.Logger.Printf("the tokens in LiteLLM's token file cannot be saved (%v): it is not replaced by the fail-fast file should the exchange outlast it", err)
		return nil
	}
	exp := f.Expiry()
	why := fmt.Sprintf("LiteLLM's access token expires at %s while a token exchange is still waiting for its answer", exp.UTC().Format(time.RFC3339))
	action := r.remedy(now, "log an account in: ")
	every := r.cfg.watchEvery
	if every <= 0 {
		every = time.Second
	}
	w := &flatWatch{stopCh: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(w.finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			at := r.cfg.Clock.Now()
			if exp.Sub(at) <= failFastLeft {
				// Only the file as it was: anything else was written since by someone
				// who knew better (nobody but the rotator writes it before LiteLLM's
				// refresh window, and the rotator is waiting here).
				if cur, err := r.store.readFile(r.store.flatPath()); err != nil || !bytes.Equal(cur, data) {
					return
				}
				if err := r.store.writeFailFast(why, action, at); err != nil {
					r.cfg.Logger.Printf("%s, and writing the fail-fast token file failed: %v", why, err)
					return
				}
				w.fired, w.why = true, why
				r.cfg.Logger.Printf("NOT READY: %s: LiteLLM's token file is now the fail-fast file, so LiteLLM does not refresh that token itself; the exchange goes on", why)
				return
			}
			select {
			case <-w.stopCh:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// stop ends the watch and reports whether it put the fail-fast file in place. After it
// returns the watch touches nothing.
func (w *flatWatch) stop() bool {
	if w == nil {
		return false
	}
	close(w.stopCh)
	<-w.finished
	return w.fired
}
