// Package rotator keeps LiteLLM's ChatGPT token file valid and rotates it among several
// ChatGPT accounts, without ever losing a refresh token.
//
// The chatgpt-auth volume holds one codex auth file per account (auth-N.json, written by
// Import after a device-auth login), LiteLLM's flat token file (auth.json, which LiteLLM
// re-reads on every request and refreshes itself), and the rotator's status file.
//
// Refresh tokens are single-use, so every account has exactly one refresher at a time:
// LiteLLM for the account its flat file holds (the active account), the rotator for the
// others, and only when it is about to hand one to LiteLLM. Whatever either of them
// obtains is written back to that account's auth-N.json before anything else happens.
//
// Three entry points share this package: Seed (init container: a valid flat file before
// LiteLLM starts), Import (device-auth station: store a login as auth-N.json) and Rotator
// (sidecar: rotate on a timer and on LiteLLM's 429 signal).
package rotator
