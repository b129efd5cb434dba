// Package rotator keeps LiteLLM's ChatGPT token file valid and rotates it among several
// ChatGPT accounts, without ever losing a refresh token.
//
// The chatgpt-auth volume holds one codex auth file per account (auth-N.json, written by
// Import after a device-auth login), LiteLLM's flat token file (auth.json, which LiteLLM
// re-reads on every request and refreshes itself), and the rotator's status file.
//
// Refresh tokens are single-use, so every account has exactly one refresher at a time.
// The rotator refreshes every account, the active one too, but the active one only while
// LiteLLM's own refresh window (the last 60 s before expiry) is minutes away: LiteLLM's
// refresh failing is what starts its in-request device login, so LiteLLM is never left to
// find out that an account is dead (guard.go, litellm.go). LiteLLM refreshes only when the
// rotator is not running; whatever either of them obtains is written back to that
// account's auth-N.json before anything else happens. A token exchange, once sent, is not
// abandoned on a short deadline, whatever asked for it, and its result is stored
// (refresh.go).
//
// When no account is usable, LiteLLM's flat file becomes a fail-fast file: LiteLLM serves
// it as it is, every model call fails at once, and the pool reports not ready.
//
// Four entry points share this package: Seed (init container: a valid flat file before
// LiteLLM starts), Import (device-auth station: store a login as auth-N.json), Run
// (sidecar: rotate on a timer and on LiteLLM's failure events, guard the active account)
// and Status.NotReady (the pool's readiness probe).
package rotator
