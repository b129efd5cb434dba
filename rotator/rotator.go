package rotator

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"cloud-codex/codexauth"
)

// Rotator owns the auth directory's state for seed and run: which account LiteLLM holds,
// which accounts are parked and why. Its methods are safe for concurrent use (the run
// loop and LiteLLM's event listener share one Rotator).
type Rotator struct {
	cfg   Config
	store store
	ref   refresher

	mu     sync.Mutex
	status Status
	// pending holds refreshed token sets whose write-back to auth-N.json failed. The old
	// refresh token on disk may already be spent, so these are retried every tick and the
	// account is not handed to LiteLLM until its file is written.
	pending map[int]heldPair
	// pendingErr is why the last write-back of a pending pair failed.
	pendingErr error
	// recovered is set once interrupted writes have been dealt with: that happens once per
	// process, never while seed polls (an import in progress leaves a temp file too).
	recovered bool
	// life ends when the process is asked to stop. No new token exchange starts after
	// that; an exchange already sent always completes and is stored (see refresh). Work
	// started by an HTTP request uses it rather than the request's context, so a caller
	// that goes away never cancels a token exchange.
	life context.Context
	// history records when each account became active, so a 429 event (which carries the
	// request's start time) is charged to the account that served the request.
	history []activation
	// forceSwitch, when set, is why the active account must be replaced now.
	forceSwitch string
	// rescued maps the fingerprints of flat-file tokens already saved to a rescue file to
	// that file, so a waiting seed does not write one every poll.
	rescued map[string]string
	// lastDecision avoids logging the same "nothing to do" decision every tick.
	lastDecision string
	// exchanged holds the fingerprints of refresh tokens this process exchanged
	// successfully: spent, with their successors stored, so never to be copied back.
	exchanged map[string]bool
	// duplicates maps accounts whose file holds the login of an earlier account in
	// rotation to why (observe fills it): they are never refreshed or handed to LiteLLM.
	duplicates map[int]string
	// exchanges counts the token exchanges of the current tick or event (exchangeBudget).
	exchanges int
	// seeding is set while Seed runs: LiteLLM is not running yet, so no account is "held" by it.
	seeding bool
	// volumeErr is the last *VolumeError that kept an account from being refreshed: when
	// seed finds no usable account, that is the problem to report, not a missing login.
	volumeErr error
	// volumeBlocked maps the accounts whose last refresh the volume prevented (the write
	// probe failed, or a file the new pair goes to cannot be replaced) to why. The account
	// is neither parked nor at fault; its last_error and action, and the pool's remedy,
	// name the volume until a probe for it succeeds.
	volumeBlocked map[int]error
}

// heldPair is a refreshed pair held in memory because writing it to auth-N.json failed,
// with the refresh token that was spent for it: auth-N.json still holding that token is
// what makes writing the pair there right (another one means a login was imported since).
type heldPair struct {
	auth  codexauth.CodexAuth
	spent string
}

type activation struct {
	at      time.Time
	account int
}

// maxHistory bounds the activation history: events arrive within seconds (LiteLLM's
// logger flushes every few seconds), so only the last few switches matter.
const maxHistory = 16

// New validates cfg and returns a Rotator that has loaded the status file (if any).
func New(cfg Config) (*Rotator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.tornReadDelay == 0 {
		cfg.tornReadDelay = 200 * time.Millisecond
	}
	if cfg.writer.logf == nil {
		cfg.writer.logf = cfg.Logger.Printf
	}
	r := &Rotator{
		cfg:           cfg,
		store:         store{cfg: cfg},
		ref:           refresher{url: cfg.TokenURL, clientID: cfg.ClientID, client: cfg.HTTPClient, timing: cfg.timing},
		pending:       map[int]heldPair{},
		rescued:       map[string]string{},
		exchanged:     map[string]bool{},
		volumeBlocked: map[int]error{},
		life:          context.Background(),
	}
	r.loadStatus()
	return r, nil
}

// loadStatus restores what the previous run knew (parks, refresh times, the active
// account) and lines the account list up with the current configuration.
func (r *Rotator) loadStatus() {
	old, err := ReadStatus(r.cfg.Dir)
	if err != nil {
		old = Status{} // first start, or a damaged file: start from what the files say
	}
	byNum := map[int]AccountStatus{}
	for _, a := range old.Accounts {
		byNum[a.Account] = a
	}
	st := Status{
		Dir: r.cfg.Dir, ActiveSince: old.ActiveSince, LastDecision: old.LastDecision, LastDecisionAt: old.LastDecisionAt,
		EventsReceived: old.EventsReceived, LastEventAt: old.LastEventAt,
	}
	if r.cfg.inRotation(old.Active) {
		st.Active = old.Active
	}
	for _, n := range r.cfg.Accounts {
		a, ok := byNum[n]
		if !ok || a.Role != RoleRotation {
			a = AccountStatus{}
		}
		a.Account, a.Role, a.File = n, RoleRotation, codexauth.AccountFileName(n)
		st.Accounts = append(st.Accounts, a)
	}
	for _, n := range r.cfg.Reserved {
		// Nothing is carried over for a reserved account: the rotator knows nothing about it.
		st.Accounts = append(st.Accounts, AccountStatus{
			Account: n, Role: RoleReserved, File: codexauth.AccountFileName(n), State: StateReserved,
		})
	}
	r.status = st
	r.believableTimes(old.UpdatedAt)
	r.reviewLoginParks()
	if r.status.Active != 0 {
		since := r.cfg.Clock.Now()
		if r.status.ActiveSince != nil {
			since = *r.status.ActiveSince
		}
		r.history = []activation{{at: since, account: r.status.Active}}
	}
}

// believableTimes brings the times carried over from a status file into line with this
// machine's clock. A file written while the clock was ahead (an NTP step back since), or
// damaged, holds an active_since and parks in the future: taken as they are, the interval
// never elapses, every LiteLLM event precedes the only known activation and is charged to
// no account, and a parked account stays out for as long as the clock was off. The file's
// updated_at says how far ahead the writer's clock was; every time is moved back by that,
// then active_since is capped at now and a park at the longest one the rotator sets.
func (r *Rotator) believableTimes(updatedAt time.Time) {
	now := r.cfg.Clock.Now()
	skew := updatedAt.Sub(now)
	if skew < 0 {
		skew = 0
	}
	if skew > 0 {
		r.cfg.Logger.Printf("the status file was written %s in the future (this machine's clock was ahead, or the file is damaged): its times are moved back by that much", skew.Round(time.Second))
	}
	if t := r.status.ActiveSince; t != nil {
		r.status.ActiveSince = timePtr(minTime(t.Add(-skew), now))
	}
	longest := max(maxLimitPark, r.cfg.UsageLimitPark, r.cfg.TransientPark)
	for i := range r.status.Accounts {
		if t := r.status.Accounts[i].ParkedUntil; t != nil {
			r.status.Accounts[i].ParkedUntil = timePtr(minTime(t.Add(-skew), now.Add(longest)))
		}
	}
}

// reviewLoginParks turns a permanent park that rests on no dead-token answer into a check
// of the login. Older rotators parked an account for good on any 401 from the token
// endpoint (invalid_client, a gateway's page) and on any authentication failure LiteLLM
// reported (a clock skew, a region's 403): evidence that says nothing certain about the
// refresh token, and a park that would otherwise last until someone logs the account in
// again. A park whose reason names a dead-token code from the rotator's own refresh stands.
func (r *Rotator) reviewLoginParks() {
	now := r.cfg.Clock.Now()
	for i := range r.status.Accounts {
		a := &r.status.Accounts[i]
		if a.Role != RoleRotation || !a.ParkedPermanently || a.DeadTokenCode != "" {
			continue
		}
		if code := deadTokenCodeIn(a.ParkReason); code != "" && strings.HasPrefix(a.ParkReason, "refresh token rejected: ") {
			a.DeadTokenCode = code
			continue
		}
		old := a.ParkReason
		a.ParkedPermanently, a.NeedsDeviceAuth, a.CheckLogin = false, false, true
		a.ParkedUntil = timePtr(now.Add(r.cfg.TransientPark))
		a.ParkReason = checkLoginReason + " (an earlier rotator parked it for a new login on evidence that does not prove its refresh token dead: " + old + ")"
		r.cfg.Logger.Printf("account %d: was parked for a new login on evidence that does not prove its refresh token dead (%s): its login is checked by a refresh instead", a.Account, old)
	}
}

// deadTokenCodeIn returns the dead-token code (deadTokenCodes) text mentions, or "".
func deadTokenCodeIn(text string) string {
	lower := strings.ToLower(text)
	for _, code := range slices.Sorted(maps.Keys(deadTokenCodes)) {
		if strings.Contains(lower, code) {
			return code
		}
	}
	return ""
}

func minTime(a, b time.Time) time.Time {
	if a.After(b) {
		return b
	}
	return a
}

// acct returns the status entry of an account in rotation.
func (r *Rotator) acct(n int) *AccountStatus {
	for i := range r.status.Accounts {
		if r.status.Accounts[i].Account == n && r.status.Accounts[i].Role == RoleRotation {
			return &r.status.Accounts[i]
		}
	}
	panic(fmt.Sprintf("rotator: account %d is not in rotation", n)) // callers only pass cfg.Accounts
}

// Status returns a copy of the current status.
func (r *Rotator) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snapshot()
}

func (r *Rotator) snapshot() Status {
	st := r.status
	st.Accounts = append([]AccountStatus(nil), r.status.Accounts...)
	return st
}

// saveStatus derives the per-account states and writes the status file. A failure is
// logged, not returned: the status file informs, it never decides what LiteLLM gets.
func (r *Rotator) saveStatus() {
	now := r.cfg.Clock.Now()
	r.deriveStates(now)
	r.status.UpdatedAt = now
	data, err := json.MarshalIndent(r.status, "", "  ")
	if err == nil {
		err = r.cfg.writer.write(r.store.path(StatusFileName), append(data, '\n'), 0o644)
	}
	if err != nil {
		r.cfg.Logger.Printf("status file not written: %v", err)
	}
}

// deriveStates fills State, Active, Action and NextRotation from what is known.
func (r *Rotator) deriveStates(now time.Time) {
	r.status.Ready, r.status.NotReadyReason = r.status.Active != 0 && !r.acct(r.status.Active).ParkedPermanently, ""
	switch dir := r.store.flatDirProblem(); {
	case r.status.Ready:
	case dir != "":
		// The accounts may be fine: LiteLLM's file cannot be written at all.
		r.status.NotReadyReason = "no login is needed: fix the volume: " + dir
	default:
		r.status.NotReadyReason = "no usable ChatGPT account in rotation; " + r.remedy(now, "log one in: ")
	}
	r.status.NextRotation = nil
	if r.status.Active != 0 && r.status.ActiveSince != nil && r.cfg.Interval > 0 {
		r.status.NextRotation = timePtr(r.status.ActiveSince.Add(r.cfg.Interval))
	}
	for i := range r.status.Accounts {
		a := &r.status.Accounts[i]
		if a.Role == RoleReserved {
			continue
		}
		a.Active = a.Account == r.status.Active
		if a.ParkedUntil != nil && !a.ParkedUntil.After(now) {
			a.ParkedUntil, a.ParkReason = nil, ""
		}
		switch _, unsaved := r.pending[a.Account]; {
		case unsaved:
			a.State = StateUnsaved
			a.Action = "fix the volume " + r.cfg.Dir + " so that " + a.File + " can be written; do not delete the pod: " +
				"the account's refreshed pair exists only in the rotator's memory (retried every minute)"
		case r.duplicates[a.Account] != "":
			a.State = StateInvalid
			a.Action = "remove " + a.File + " from " + r.cfg.Dir + ", or log a different ChatGPT account in: " + r.cfg.LoginCommand(a.Account)
		case a.State == StateMissing || a.State == StateInvalid:
			a.Action = "import a login: " + r.cfg.LoginCommand(a.Account)
		case a.State == StateUnreadable:
			a.Action = "fix the volume " + r.cfg.Dir + ": the rotator cannot read " + a.File +
				" (make the pod's UID its owner, mode 0600); a login would not help"
		case a.ParkedPermanently:
			a.State = StateNeedsDeviceAuth
			a.Action = "run a new device-auth login: " + r.cfg.LoginCommand(a.Account)
		case r.volumeBlocked[a.Account] != nil:
			a.State = StateReady
			if a.Active {
				a.State = StateActive
			} else if a.ParkedUntil != nil {
				a.State = StateParked
			}
			a.Action = volumeFix(r.cfg.Dir, r.volumeBlocked[a.Account]) + " (the account is not refreshed until its new pair can be stored)"
		case a.Active:
			a.State, a.Action = StateActive, ""
		case a.ParkedUntil != nil:
			a.State, a.Action = StateParked, ""
		default:
			a.State, a.Action = StateReady, ""
		}
	}
}

// decide records and logs a decision: one log line per decision, and the same "nothing
// changes" decision is not logged again every tick.
func (r *Rotator) decide(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.record(msg)
	if msg != r.lastDecision {
		r.cfg.Logger.Print(msg)
		r.lastDecision = msg
	}
}

// record puts a decision in the status file without logging it.
func (r *Rotator) record(msg string) {
	r.status.LastDecision = msg
	r.status.LastDecisionAt = timePtr(r.cfg.Clock.Now())
}

// setError records an account's last error (and logs it once).
func (r *Rotator) setError(n int, msg string) {
	a := r.acct(n)
	if a.LastError != msg {
		r.cfg.Logger.Printf("account %d: %s", n, msg)
	}
	a.LastError = msg
	a.LastErrorAt = timePtr(r.cfg.Clock.Now())
}

// clearError forgets account n's last error once the account has recovered from it (its
// file is readable again, a refresh or a write-back succeeded, a new login was imported):
// last_error says what is wrong now, and an operator must not be sent to fix what is fixed.
func (r *Rotator) clearError(n int) {
	a := r.acct(n)
	a.LastError, a.LastErrorAt = "", nil
}

// park leaves account n out until until (a park is only ever extended, never shortened).
func (r *Rotator) park(n int, until time.Time, reason string) {
	a := r.acct(n)
	if a.ParkedUntil != nil && a.ParkedUntil.After(until) {
		return
	}
	a.ParkedUntil = timePtr(until)
	a.ParkReason = reason
	r.cfg.Logger.Printf("account %d: parked until %s: %s", n, until.UTC().Format(time.RFC3339), reason)
}

// parkForLogin leaves account n out until someone imports a new login for it. code is
// the token endpoint's dead-token code that proved the refresh token dead (deadTokenCodes):
// nothing else parks an account for good.
func (r *Rotator) parkForLogin(n int, reason, code string) {
	a := r.acct(n)
	a.ParkedPermanently, a.NeedsDeviceAuth, a.ParkReason, a.DeadTokenCode = true, true, reason, code
	a.CheckLogin = false
	r.cfg.Logger.Printf("account %d: %s; parked until a new device-auth login: %s", n, reason, r.cfg.LoginCommand(n))
}

// parkedNow reports whether account n is parked at now, and why.
func (r *Rotator) parkedNow(n int, now time.Time) (bool, string) {
	a := r.acct(n)
	switch {
	case a.ParkedPermanently:
		return true, "needs a new device-auth login (" + a.ParkReason + ")"
	case a.ParkedUntil != nil && a.ParkedUntil.After(now):
		return true, fmt.Sprintf("parked until %s (%s)", a.ParkedUntil.UTC().Format(time.RFC3339), a.ParkReason)
	}
	return false, ""
}

// activate records that LiteLLM now holds account n.
func (r *Rotator) activate(n int, now time.Time) {
	r.status.Active = n
	r.status.ActiveSince = timePtr(now)
	r.history = append(r.history, activation{at: now, account: n})
	if len(r.history) > maxHistory {
		r.history = r.history[len(r.history)-maxHistory:]
	}
}

// deactivate records that LiteLLM holds no account in rotation from now on (the fail-fast
// file): events of requests that start later are charged to no account.
func (r *Rotator) deactivate(now time.Time) {
	r.activate(0, now)
}

// accountAt returns the account LiteLLM held at t (0 if unknown).
func (r *Rotator) accountAt(t time.Time) int {
	acct := 0
	for _, h := range r.history {
		if h.at.After(t) {
			break
		}
		acct = h.account
	}
	return acct
}
