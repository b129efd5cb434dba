package rotator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"cloud-codex/codexauth"
)

// newerTokens reports whether token set a is a later generation than b of the same login.
// A refresh issues an access token with a later iat, whatever its lifetime, so iat orders
// generations; exp does too as long as every token lives equally long, and is the fallback
// for tokens without iat. A set whose access token cannot be read loses to one whose can.
func newerTokens(a, b codexauth.Tokens) bool {
	if a.RefreshToken == b.RefreshToken && a.AccessToken == b.AccessToken {
		return false
	}
	ai, aerr := codexauth.JWTIssuedAt(a.AccessToken)
	bi, berr := codexauth.JWTIssuedAt(b.AccessToken)
	if aerr == nil && berr == nil && !ai.Equal(bi) {
		return ai.After(bi)
	}
	ae, aerr := codexauth.JWTExpiry(a.AccessToken)
	be, berr := codexauth.JWTExpiry(b.AccessToken)
	switch {
	case aerr != nil:
		return false
	case berr != nil:
		return true
	}
	return ae.After(be)
}

// ownerOf returns the account in rotation whose tokens the flat file holds, or 0. The
// refresh token matches while nobody refreshed since the rotator wrote the file; after
// LiteLLM refreshed, the login's identity (user and account claims) still matches.
func (r *Rotator) ownerOf(f codexauth.FlatToken) int {
	auths := map[int]codexauth.CodexAuth{}
	for _, n := range r.cfg.Accounts {
		a, err := r.store.readAccount(n)
		if err != nil {
			continue
		}
		if a.Tokens.RefreshToken == f.RefreshToken {
			return n
		}
		auths[n] = a
	}
	id := f.Identity()
	if id == "" {
		return 0
	}
	var matches []int
	for _, n := range r.cfg.Accounts {
		if a, ok := auths[n]; ok && a.Tokens.Identity() == id {
			matches = append(matches, n)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0]
	}
	// Several slots hold logins of this user (Import refuses this, a hand-placed file is not
	// checked; observe uses only the first of them). Copying the file's tokens into the
	// wrong one would overwrite that slot's own refresh token, so nobody owns them: they
	// are rescued before the file is replaced, and nothing is lost.
	return 0
}

// copyBack writes the flat file's tokens into auth-N.json of their owner when they are
// newer (LiteLLM refreshed them). It reports whether it wrote.
//
// A pair the rotator handed to LiteLLM itself (AccountStatus.HandedOver), and LiteLLM has
// not refreshed since, is never copied over an account file that changed after the
// hand-over. If the rotator has exchanged the pair's refresh token, the change is its own
// successor; otherwise it is a login imported into the slot, which an access token's iat
// cannot tell from an older generation (a device login started before the rotator's
// refresh carries an earlier iat). The import is kept, and the handed-over pair, whose
// refresh token nobody has spent, is saved to a rescue file.
func (r *Rotator) copyBack(owner int, f codexauth.FlatToken, now time.Time) (bool, error) {
	defer r.store.lockAccounts()() // an import must not land between the comparison and the write
	cur, err := r.store.readAccount(owner)
	if err != nil {
		return false, err
	}
	fp := fingerprint(f.RefreshToken)
	h := r.acct(owner).HandedOver
	handed := h != nil && h.Fingerprint == fp // LiteLLM has not refreshed since the hand-over
	switch {
	case r.exchanged[fp] || handed && h.Spent:
		// A refresh token the rotator exchanged itself is spent, and its successor is in
		// the account file already: writing it back would lose that successor.
		return false, nil
	case handed && importedSinceHandOver(h, f, cur):
		return false, r.keepImport(owner, f)
	case !newerTokens(f.Tokens(), *cur.Tokens):
		return false, nil
	}
	next := cur
	toks := f.Tokens()
	if toks.AccountID == "" {
		toks.AccountID = cur.Tokens.AccountID
	}
	if toks.IDToken == "" {
		toks.IDToken = cur.Tokens.IDToken
	}
	next.Tokens = &toks
	next.LastRefresh = now.UTC().Format(time.RFC3339)
	if err := r.store.writeAccount(owner, next); err != nil {
		return false, err
	}
	a := r.acct(owner)
	r.clearError(owner)
	a.LastCopyBack = timePtr(now)
	a.TokenFingerprint = fingerprint(toks.RefreshToken)
	if exp, err := codexauth.JWTExpiry(toks.AccessToken); err == nil {
		a.AccessTokenExpiresAt = timePtr(exp)
	}
	r.cfg.Logger.Printf("account %d: LiteLLM had refreshed its tokens; copied the new pair back to %s", owner, codexauth.AccountFileName(owner))
	return true, nil
}

// importedSinceHandOver reports whether account file cur changed after the rotator handed
// the pair f, which LiteLLM still holds, over as h: it holds neither that pair nor what it
// held at the hand-over.
func importedSinceHandOver(h *HandOver, f codexauth.FlatToken, cur codexauth.CodexAuth) bool {
	return cur.Tokens.RefreshToken != f.RefreshToken && fingerprint(cur.Tokens.RefreshToken) != h.FileFingerprint
}

// keepImport handles a login imported into account n's slot after the rotator handed f,
// the slot's previous login, to LiteLLM: the import stays in the account file (the
// operator wants it there; syncFlat hands it to LiteLLM), and f, whose refresh token is
// still live, is saved to a rescue file once.
func (r *Rotator) keepImport(n int, f codexauth.FlatToken) error {
	if _, done := r.rescued[fingerprint(f.RefreshToken)]; done {
		return nil
	}
	name, err := r.rescueFlat(f)
	if err != nil {
		return fmt.Errorf("saving the pair LiteLLM holds before a login imported into %s replaces it: %w", codexauth.AccountFileName(n), err)
	}
	r.cfg.Logger.Printf("account %d: a new login was imported into %s after the rotator handed the previous one to LiteLLM: the import is kept, and the pair LiteLLM holds (the rotator's hand-over, not refreshed by LiteLLM) was saved to %s",
		n, codexauth.AccountFileName(n), name)
	return nil
}

// replacesHandOver reports whether account file cur holds a login that may replace the
// pair f in LiteLLM's file whatever their access tokens' iat: f is the rotator's hand-over,
// LiteLLM has not refreshed it, the account file changed since, and f's refresh token is
// either spent by the rotator or saved to a rescue file (keepImport).
func (r *Rotator) replacesHandOver(n int, f codexauth.FlatToken, cur codexauth.CodexAuth) bool {
	h := r.acct(n).HandedOver
	if h == nil || h.Fingerprint != fingerprint(f.RefreshToken) || !importedSinceHandOver(h, f, cur) {
		return false
	}
	_, rescued := r.rescued[h.Fingerprint]
	return h.Spent || rescued
}

// rescueFlat saves f to a rescue file, once per refresh token (r.rescued), and returns its name.
func (r *Rotator) rescueFlat(f codexauth.FlatToken) (string, error) {
	fp := fingerprint(f.RefreshToken)
	if name, done := r.rescued[fp]; done {
		return name, nil
	}
	name, err := r.store.writeRescue(f)
	if err != nil {
		return "", err
	}
	r.rescued[fp] = name
	return name, nil
}

// handOver writes account n's pair auth into LiteLLM's token file and records it as handed
// over (AccountStatus.HandedOver). fileRT is the refresh token the account file holds:
// auth's own, unless auth could not be stored there.
func (r *Rotator) handOver(n int, auth codexauth.CodexAuth, fileRT string) error {
	if _, err := r.store.writeFlat(auth); err != nil {
		return err
	}
	r.acct(n).HandedOver = &HandOver{Fingerprint: fingerprint(auth.Tokens.RefreshToken), FileFingerprint: fingerprint(fileRT)}
	return nil
}

// spentByRotator records that the rotator exchanged refresh token rt of account n.
func (r *Rotator) spentByRotator(n int, rt string) {
	fp := fingerprint(rt)
	r.exchanged[fp] = true
	if h := r.acct(n).HandedOver; h != nil && h.Fingerprint == fp {
		h.Spent = true
	}
}

// keepFlatTokens makes sure the tokens in the flat file are stored somewhere before the
// flat file is replaced: in their account's file if they are newer, or, when they belong
// to no account in rotation or are the rotator's hand-over of a login an import has since
// replaced (copyBack), in a rescue file. A flat file that is missing or does not
// parse holds nothing that could be kept.
func (r *Rotator) keepFlatTokens(now time.Time) (note string, err error) {
	f, err := r.store.readFlat()
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errFailFast) {
		return "", nil
	}
	if err != nil {
		return r.keepUnreadableFlat()
	}
	owner := r.ownerOf(f)
	if owner == 0 {
		if name, done := r.rescued[fingerprint(f.RefreshToken)]; done {
			return "; its previous tokens belonged to no account in rotation and were saved to " + name, nil
		}
		name, err := r.rescueFlat(f)
		if err != nil {
			return "", err
		}
		r.cfg.Logger.Printf("the flat token file held tokens of no account in rotation; saved them to %s (import them with `import N --from %s` if they are wanted)", name, name)
		return "; its previous tokens belonged to no account in rotation and were saved to " + name, nil
	}
	wrote, err := r.copyBack(owner, f, now)
	if err != nil {
		return "", err
	}
	if wrote {
		return "; account " + strconv.Itoa(owner) + "'s tokens, refreshed by LiteLLM, were copied back first", nil
	}
	if name, done := r.rescued[fingerprint(f.RefreshToken)]; done {
		return "; its previous tokens (account " + strconv.Itoa(owner) + "'s login before an import) were saved to " + name, nil
	}
	return "", nil
}

// keepUnreadableFlat saves a copy of a flat file that is not a login the rotator can read
// (its access token is not a JWT, say) but does hold a refresh token that no account file
// has: nothing tells whose it is, so it cannot be copied back, and replacing the file would
// lose it. The copy is the file as it was, mode 0600.
func (r *Rotator) keepUnreadableFlat() (string, error) {
	data, err := r.store.readFile(r.store.flatPath())
	if err != nil {
		return "", nil
	}
	var probe struct {
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.RefreshToken == "" {
		return "", nil // a half-written or garbled file: there is no token in it to keep
	}
	for _, n := range r.cfg.Accounts {
		if a, err := r.store.readAccount(n); err == nil && a.Tokens.RefreshToken == probe.RefreshToken {
			return "", nil // stored already
		}
	}
	note := func(name string) string {
		return "; its previous content held a refresh token the rotator could not attribute and was saved to " + name
	}
	fp := fingerprint(probe.RefreshToken)
	if name, done := r.rescued[fp]; done {
		return note(name), nil
	}
	name, err := r.store.writeRescueRaw(data)
	if err != nil {
		return "", err
	}
	r.rescued[fp] = name
	r.cfg.Logger.Printf("the flat token file held a refresh token but is not a login the rotator can read; saved it as it was to %s", name)
	return note(name), nil
}

// normaliseFlat rewrites a flat file that holds account n's current pair with an expires_at
// other than the access token's exp (missing, or written by another tool): LiteLLM would
// derive a missing one and rewrite the file in place, and a wrong one makes it refresh too
// early or send an expired token. Only the format changes; the tokens are the account
// file's, which the copy-back has just made the same.
func (r *Rotator) normaliseFlat(n int, f codexauth.FlatToken, why error) {
	auth, err := r.store.readAccount(n)
	if err != nil || auth.Tokens.RefreshToken != f.RefreshToken || auth.Tokens.AccessToken != f.AccessToken {
		return // not the same pair: the guard decides what LiteLLM gets
	}
	if err := r.handOver(n, auth, auth.Tokens.RefreshToken); err != nil {
		r.setError(n, "rewriting LiteLLM's token file with a correct expires_at failed: "+err.Error())
		return
	}
	r.cfg.Logger.Printf("account %d: rewrote LiteLLM's token file with the same tokens and expires_at from the access token (it had: %v)", n, why)
}

// syncFlat reconciles the rotator's idea of the active account with the flat file, every
// tick: it adopts the file's owner as active (after a crash between writing the flat file
// and the status file, or when LiteLLM wrote an old account's refreshed tokens over a
// switch), copies refreshed tokens back at once rather than only at the next switch, and
// repairs a flat file that is missing or stays unparsable.
func (r *Rotator) syncFlat(now time.Time) {
	r.forceSwitch = "" // decided afresh from the file every time
	f, err := r.store.readFlat()
	if errors.Is(err, errFailFast) {
		if r.status.Active != 0 {
			r.deactivate(now)
		}
		r.forceSwitch = "no account is active (LiteLLM's token file fails every call fast)"
		return
	}
	if err != nil {
		what := "does not parse"
		if errors.Is(err, fs.ErrNotExist) {
			what = "is missing"
		}
		r.status.Active = 0
		r.forceSwitch = "the flat token file " + what + " (" + err.Error() + ")"
		return
	}
	owner := r.ownerOf(f)
	if owner == 0 {
		r.status.Active = 0
		r.forceSwitch = "the flat token file holds tokens of no account in rotation"
		return
	}
	if owner != r.status.Active {
		prev := r.status.Active
		r.activate(owner, now)
		r.decide("the flat token file holds account %d (the rotator had recorded %s); adopting it as the active account", owner, accountOrNone(prev))
	}
	if _, err := r.copyBack(owner, f, now); err != nil {
		r.setError(owner, "copying LiteLLM's refreshed tokens back failed: "+err.Error())
		return
	}
	if err := f.Validate(); err != nil {
		r.normaliseFlat(owner, f, err)
	}
	r.handOverNewerPair(owner, f, now)
}

// handOverNewerPair gives LiteLLM account n's own newer pair when auth-N.json holds a later
// generation than LiteLLM's file, or a login imported after the rotator handed LiteLLM the
// pair it still holds (whatever its iat; copyBack has rescued that pair): a login imported
// into the active slot, or a refresh whose hand-over to LiteLLM failed. The older pair in LiteLLM's file is superseded (its refresh
// token may even be spent), and waiting until the guard would refresh it, or fail fast
// because it is too late to, leaves a valid login unused. A newer pair that is not valid
// for MinValidity is left to the guard, which refreshes it in time.
func (r *Rotator) handOverNewerPair(n int, f codexauth.FlatToken, now time.Time) {
	auth, err := r.store.readAccount(n)
	if err != nil || auth.Tokens.RefreshToken == f.RefreshToken || !newerTokens(*auth.Tokens, f.Tokens()) && !r.replacesHandOver(n, f, auth) {
		return
	}
	exp, err := codexauth.JWTExpiry(auth.Tokens.AccessToken)
	if err != nil || exp.Sub(now) < r.cfg.MinValidity {
		return
	}
	if err := r.handOver(n, auth, auth.Tokens.RefreshToken); err != nil {
		r.setError(n, "handing LiteLLM the newer pair in "+codexauth.AccountFileName(n)+" failed: "+err.Error())
		return
	}
	r.decide("account %d: %s holds a newer pair than LiteLLM's token file (a login imported into the slot, or a refresh not yet handed over); LiteLLM gets it (access token valid until %s)",
		n, codexauth.AccountFileName(n), exp.UTC().Format(time.RFC3339))
}

func accountOrNone(n int) string {
	if n == 0 {
		return "none"
	}
	return "account " + strconv.Itoa(n)
}
