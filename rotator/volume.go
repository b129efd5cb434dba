package rotator

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"cloud-codex/codexauth"
)

// A refresh spends the old refresh token the moment the endpoint receives it, so the new
// pair exists only in memory until it is on disk. The rotator therefore proves that the
// auth volume takes writes before every token exchange: a read-only mount, a full disk or
// a directory owned by another UID fails the probe, and no token is spent.

// probeFileName is the probe's target in the auth directory. The leading dot keeps it out
// of the way of anything that lists auth-N.json files; it never holds a token.
const probeFileName = ".rotator-write-probe"

// VolumeError says that the auth volume cannot store what a refresh would produce.
type VolumeError struct {
	Dir string
	Err error
	// What the volume does wrong; "" means "is not writable".
	What string
}

func (e *VolumeError) Error() string {
	what := e.What
	if what == "" {
		what = "is not writable"
	}
	return fmt.Sprintf("the auth volume %s %s (%v): no refresh token was spent, because a refreshed pair "+
		"that cannot be stored is lost, and no login would help. Check that the claim is mounted read-write, has free "+
		"space, and that its files are owned by the pod's UID (runAsUser/fsGroup)", e.Dir, what, e.Err)
}

func (e *VolumeError) Unwrap() error { return e.Err }

// volumeFix is the short form of a volume problem for a remedy: what to fix, and why.
func volumeFix(dir string, err error) string {
	var ve *VolumeError
	if errors.As(err, &ve) {
		what := ve.What
		if what == "" {
			what = "is not writable"
		}
		return fmt.Sprintf("fix the volume %s: it %s (%v); a login would not help", dir, what, ve.Err)
	}
	return fmt.Sprintf("fix the volume %s: %v; a login would not help", dir, err)
}

// probeWritable writes, fsyncs, renames and removes a small file in the auth directory with
// the same writer that stores tokens: what the probe proves is what a write-back needs.
func (r *Rotator) probeWritable() error {
	path := r.store.path(probeFileName)
	if err := r.cfg.writer.write(path, []byte("codex-auth-rotator write probe\n"), tokenFileMode); err != nil {
		return &VolumeError{Dir: r.cfg.Dir, Err: err}
	}
	if err := os.Remove(path); err != nil {
		return &VolumeError{Dir: r.cfg.Dir, Err: fmt.Errorf("removing the probe file: %w", err)}
	}
	if err := syncDir(r.cfg.Dir); err != nil {
		return &VolumeError{Dir: r.cfg.Dir, Err: fmt.Errorf("syncing the directory: %w", err)}
	}
	return nil
}

// UnsavedTokensError says that refreshed pairs could not be written back: the previous
// refresh tokens are spent, so these pairs, held in memory, are the accounts' only copies.
type UnsavedTokensError struct {
	Dir      string
	Accounts []int
	Err      error
	// Lost is set when the process is stopping with the pairs still unsaved: they end with
	// it, and each account needs a new device-auth login (LoginCommands, one per account).
	Lost          bool
	LoginCommands []string
}

func (e *UnsavedTokensError) Error() string {
	files := make([]string, len(e.Accounts))
	for i, n := range e.Accounts {
		files[i] = codexauth.AccountFileName(n)
	}
	if e.Lost {
		return fmt.Sprintf("refreshed tokens of account(s) %s were never stored: writing %s in %s failed (%v), and this "+
			"process is stopping, so they are lost with it; their previous refresh tokens are spent, so the account(s) "+
			"need a new device-auth login: %s", FormatAccountList(e.Accounts), strings.Join(files, ", "), e.Dir, e.Err,
			strings.Join(e.LoginCommands, "; "))
	}
	return fmt.Sprintf("refreshed tokens of account(s) %s are held in memory only: writing %s in %s failed (%v); "+
		"their previous refresh tokens are spent, so this process keeps retrying the write: fix the volume and do not "+
		"delete the pod until it reports them saved", FormatAccountList(e.Accounts), strings.Join(files, ", "), e.Dir, e.Err)
}

func (e *UnsavedTokensError) Unwrap() error { return e.Err }

// unsaved returns an *UnsavedTokensError for the pairs still pending, or nil.
func (r *Rotator) unsaved() error {
	if len(r.pending) == 0 {
		return nil
	}
	return r.unsavedError()
}

func (r *Rotator) unsavedError() *UnsavedTokensError {
	e := &UnsavedTokensError{Dir: r.cfg.Dir, Err: r.pendingErr}
	for _, n := range r.cfg.Accounts {
		if _, ok := r.pending[n]; ok {
			e.Accounts = append(e.Accounts, n)
		}
	}
	return e
}

// lostOnStop is the last word of a stopping process that still holds unsaved pairs (nil if
// it holds none): they end with it, and only a new login brings those accounts back.
func (r *Rotator) lostOnStop() error {
	if len(r.pending) == 0 {
		return nil
	}
	e := r.unsavedError()
	e.Lost = true
	for _, n := range e.Accounts {
		e.LoginCommands = append(e.LoginCommands, r.cfg.LoginCommand(n))
	}
	return e
}

// spendingBlocked says why no token may be spent now ("" if one may): a refreshed pair that
// is held in memory only comes first. Spending another token could leave a second pair
// with nowhere to go, and the volume that refused the first is likely to refuse it too.
func (r *Rotator) spendingBlocked() string {
	if len(r.pending) == 0 {
		return ""
	}
	e := r.unsavedError()
	return fmt.Sprintf("not refreshed: the refreshed pair of account(s) %s is not stored yet, and no other token is spent until it is",
		FormatAccountList(e.Accounts))
}
