package rotator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is the rotator's status file: what operators read (through the status command)
// to learn which account LiteLLM uses and why every other one is or is not usable. It is
// also the rotator's memory across restarts (parks, last refresh), so it holds no secret:
// a refresh token appears only as a short fingerprint.
type Status struct {
	UpdatedAt    time.Time  `json:"updated_at"`
	Dir          string     `json:"dir"`
	Active       int        `json:"active,omitempty"` // account in LiteLLM's flat file; 0: none known
	ActiveSince  *time.Time `json:"active_since,omitempty"`
	NextRotation *time.Time `json:"next_rotation,omitempty"`
	// Ready says whether LiteLLM's token file holds an account in rotation. When it is
	// false the file is the fail-fast file (or none yet) and NotReadyReason says what to
	// do; the pool's readiness probe (`codex-auth-rotator ready`) reads it.
	Ready          bool       `json:"ready"`
	NotReadyReason string     `json:"not_ready_reason,omitempty"`
	LastDecision   string     `json:"last_decision,omitempty"`
	LastDecisionAt *time.Time `json:"last_decision_at,omitempty"`
	// LiteLLM's logging callback: how many payloads arrived and when the last did, so an
	// operator can see that the 429 signal reaches the rotator at all.
	EventsReceived int64           `json:"litellm_events_received"`
	LastEventAt    *time.Time      `json:"last_litellm_event_at,omitempty"`
	Accounts       []AccountStatus `json:"accounts"`
}

// Account states.
const (
	StateActive          = "active"            // LiteLLM's flat file holds this account
	StateReady           = "ready"             // usable at the next rotation
	StateUnsaved         = "unsaved"           // refreshed pair held in memory only: not usable until written
	StateParked          = "parked"            // left out until ParkedUntil
	StateNeedsDeviceAuth = "needs-device-auth" // refresh token dead: only a new login helps
	StateMissing         = "missing"           // no auth-N.json: import a login
	StateInvalid         = "invalid"           // auth-N.json is not a ChatGPT login: import one
	StateUnreadable      = "unreadable"        // auth-N.json exists but cannot be read (owner, mode, I/O): a volume problem
	StateReserved        = "reserved"          // a spare: never read, refreshed or written
)

// AccountStatus is one account's line of the status file.
type AccountStatus struct {
	Account              int        `json:"account"`
	Role                 string     `json:"role"` // "rotation" or "reserved"
	File                 string     `json:"file"`
	Active               bool       `json:"active"`
	State                string     `json:"state"`
	AccessTokenExpiresAt *time.Time `json:"access_token_expires_at,omitempty"`
	ParkedUntil          *time.Time `json:"parked_until,omitempty"`
	ParkedPermanently    bool       `json:"parked_permanently,omitempty"`
	ParkReason           string     `json:"park_reason,omitempty"`
	NeedsDeviceAuth      bool       `json:"needs_device_auth,omitempty"`
	// DeadTokenCode is the token endpoint's answer that proved the refresh token dead
	// (refresh_token_reused, invalid_grant, ...): the only evidence a permanent park rests
	// on. A permanent park without it was made by an older rotator on weaker evidence (any
	// 401), and is turned into a check when the file is loaded.
	DeadTokenCode string `json:"dead_token_code,omitempty"`
	// CheckLogin: LiteLLM reported an authentication failure for this account. That alone
	// does not prove its login dead (a clock, a region, an upstream fault fail requests
	// too), so the account is left out until a refresh of its login says whether it is.
	CheckLogin   bool       `json:"check_login,omitempty"`
	Action       string     `json:"action,omitempty"` // what an operator should run
	LastError    string     `json:"last_error,omitempty"`
	LastErrorAt  *time.Time `json:"last_error_at,omitempty"`
	LastRefresh  *time.Time `json:"last_refresh,omitempty"`   // last refresh by the rotator
	LastCopyBack *time.Time `json:"last_copy_back,omitempty"` // last time tokens LiteLLM refreshed were saved to File
	// TokenFingerprint identifies the refresh token last seen in File (a prefix of its
	// SHA-256), so a restarted rotator can tell a newly imported login from the dead token
	// an account was parked for.
	TokenFingerprint string `json:"token_fingerprint,omitempty"`
	// HandedOver records the login the rotator last wrote into LiteLLM's token file for
	// this account, so that the copy-back can tell a pair LiteLLM refreshed from the
	// rotator's own hand-over, also after a restart (absent in older status files).
	HandedOver *HandOver `json:"handed_over,omitempty"`
}

// HandOver identifies, by fingerprints, a login the rotator wrote into LiteLLM's token file.
type HandOver struct {
	// Fingerprint is the refresh token written into LiteLLM's file.
	Fingerprint string `json:"fingerprint"`
	// FileFingerprint is the refresh token the account file held then: the same, unless
	// the pair handed over could not be stored there (the volume refused the write).
	FileFingerprint string `json:"file_fingerprint"`
	// Spent: the rotator has since exchanged that refresh token itself.
	Spent bool `json:"spent,omitempty"`
}

// Roles.
const (
	RoleRotation = "rotation"
	RoleReserved = "reserved"
)

func fingerprint(refreshToken string) string {
	sum := sha256.Sum256([]byte(refreshToken))
	return hex.EncodeToString(sum[:6])
}

func timePtr(t time.Time) *time.Time { return &t }

// ReadStatus reads the status file in dir.
func ReadStatus(dir string) (Status, error) {
	data, err := readRegular(filepath.Join(dir, StatusFileName)) // a FIFO there must not hang the probe
	if err != nil {
		return Status{}, fmt.Errorf("status file: %w", err)
	}
	var st Status
	if err := json.Unmarshal(data, &st); err != nil {
		return Status{}, fmt.Errorf("status file %s: %w", StatusFileName, err)
	}
	return st, nil
}

// ReadyMaxAge is how recently the status file must have been written for the pool to count
// as ready: the run loop writes it every minute, so an older file means nobody is guarding
// LiteLLM's token file.
const ReadyMaxAge = 5 * time.Minute

// NotReady says why the pool is not ready ("" if it is): the status file holds no usable
// account in LiteLLM's token file, or it is older than maxAge. This is what the readiness
// probe (`codex-auth-rotator ready`) checks.
func (st Status) NotReady(now time.Time, maxAge time.Duration) string {
	switch {
	case !st.Ready:
		return orDash(st.NotReadyReason)
	case st.Active == 0:
		return "LiteLLM's token file holds no account in rotation"
	case maxAge > 0 && now.Sub(st.UpdatedAt) > maxAge:
		return fmt.Sprintf("the status file was last written %s: the rotator is not running (it writes it every minute)", when(&st.UpdatedAt, now))
	}
	return ""
}

// FormatStatus writes st for humans: the operator's view of the auth pool.
func FormatStatus(w io.Writer, st Status, now time.Time) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ChatGPT auth pool in %s (status written %s)\n", st.Dir, when(&st.UpdatedAt, now))
	if st.Active != 0 {
		fmt.Fprintf(&b, "LiteLLM uses account %d", st.Active)
		if st.ActiveSince != nil {
			fmt.Fprintf(&b, " since %s", when(st.ActiveSince, now))
		}
		if st.NextRotation != nil {
			fmt.Fprintf(&b, "; next rotation %s", when(st.NextRotation, now))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("LiteLLM has no account from the rotator: model calls fail\n")
	}
	if !st.Ready {
		fmt.Fprintf(&b, "NOT READY: %s\n", orDash(st.NotReadyReason))
	}
	if st.LastDecision != "" {
		fmt.Fprintf(&b, "Last decision (%s): %s\n", when(st.LastDecisionAt, now), st.LastDecision)
	}
	if st.EventsReceived > 0 {
		fmt.Fprintf(&b, "LiteLLM events received: %d, the last %s\n", st.EventsReceived, when(st.LastEventAt, now))
	} else {
		b.WriteString("LiteLLM events received: none yet (after traffic, none means LiteLLM's generic_api callback is not reaching the rotator: 429s then go unnoticed)\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tROLE\tSTATE\tACCESS TOKEN EXPIRES\tLAST REFRESH\tPARKED UNTIL\tLAST ERROR")
	for _, a := range st.Accounts {
		parked := "-"
		switch {
		case a.ParkedPermanently:
			parked = "until a new login"
		case a.ParkedUntil != nil && a.ParkedUntil.After(now):
			parked = when(a.ParkedUntil, now)
		}
		lastErr := "-"
		if a.LastError != "" {
			lastErr = a.LastError
			if a.LastErrorAt != nil {
				lastErr = when(a.LastErrorAt, now) + ": " + lastErr
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Account, a.Role, a.State,
			when(a.AccessTokenExpiresAt, now), when(a.LastRefresh, now), parked, lastErr)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var actions strings.Builder
	for _, a := range st.Accounts {
		if a.Action != "" {
			fmt.Fprintf(&actions, "account %d (%s): %s\n", a.Account, a.State, a.Action)
		}
	}
	if actions.Len() > 0 {
		_, err := io.WriteString(w, "\nTo fix:\n"+actions.String())
		return err
	}
	return nil
}

// when renders a time as RFC 3339 with a relative hint ("in 3h", "5m ago").
func when(t *time.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	d := t.Sub(now)
	rel := "now"
	switch {
	case d >= time.Minute:
		rel = "in " + roughDuration(d)
	case d <= -time.Minute:
		rel = roughDuration(-d) + " ago"
	}
	return t.UTC().Format(time.RFC3339) + " (" + rel + ")"
}

func roughDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
