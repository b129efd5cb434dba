package rotator

import (
	"os"
	"regexp"
	"strconv"

	"cloud-codex/codexauth"
)

var accountFileRE = regexp.MustCompile(`^auth-([0-9]+)\.json$`)

// recoverTemps deals with temp files a crashed write left behind. Such a file is complete
// and synced (the rename is the last step), and for an account file it may hold a
// refreshed token set whose old refresh token is already spent: if it parses and is newer
// than the account's file, finishing the rename is what keeps that refresh token. Other
// leftovers (flat file, status file: both rebuilt from account files) are removed.
// Reserved accounts' temps and files the rotator does not know are left alone. It runs once
// per process: a temp file found later may be a write in progress (an import while seed
// waits), not a crashed one.
func (r *Rotator) recoverTemps() {
	if r.recovered {
		return
	}
	r.recovered = true
	// An import writing at this moment finishes its own temp file, or waits for this.
	defer r.store.lockAccounts()()
	entries, err := os.ReadDir(r.cfg.Dir)
	if err != nil {
		r.cfg.Logger.Printf("looking for interrupted writes: %v", err)
		return
	}
	for _, e := range entries {
		target, ok := tempTarget(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		tmp := r.store.path(e.Name())
		if target == codexauth.AuthFileName || target == StatusFileName {
			r.removeTemp(tmp)
			continue
		}
		m := accountFileRE.FindStringSubmatch(target)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || !r.cfg.inRotation(n) {
			continue
		}
		r.recoverAccountTemp(n, tmp)
	}
}

func (r *Rotator) recoverAccountTemp(n int, tmp string) {
	data, err := r.store.readFile(tmp)
	if err != nil {
		r.cfg.Logger.Printf("account %d: interrupted write %s: %v", n, tmp, err)
		return
	}
	next, err := codexauth.ParseCodexAuth(data)
	if err != nil {
		r.removeTemp(tmp) // incomplete: the rename never happened, so the old file is intact
		return
	}
	cur, err := r.store.readAccount(n)
	if err == nil && !newerTokens(*next.Tokens, *cur.Tokens) {
		r.removeTemp(tmp)
		return
	}
	if err := os.Rename(tmp, r.store.accountPath(n)); err != nil {
		r.cfg.Logger.Printf("account %d: finishing interrupted write: %v", n, err)
		return
	}
	if err := syncDir(r.cfg.Dir); err != nil {
		r.cfg.Logger.Printf("account %d: syncing directory: %v", n, err)
	}
	r.cfg.Logger.Printf("account %d: finished an interrupted write of %s (it held newer tokens)", n, codexauth.AccountFileName(n))
}

func (r *Rotator) removeTemp(path string) {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		r.cfg.Logger.Printf("removing leftover %s: %v", path, err)
	}
}
