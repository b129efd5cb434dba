package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// keyRecord is one virtual key, as LiteLLM keeps it in LiteLLM_VerificationToken: the
// SHA-256 of the key (never the key itself), its alias, its model allowlist and metadata.
type keyRecord struct {
	Token     string         `json:"token"`    // hex SHA-256 of the key (hash_token)
	KeyName   string         `json:"key_name"` // "sk-...abcd" (abbreviate_api_key)
	KeyAlias  *string        `json:"key_alias"`
	Models    []string       `json:"models"`
	Metadata  map[string]any `json:"metadata"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// hashToken is LiteLLM's hash_token (litellm/proxy/_types.py): hashlib.sha256 of the key,
// hex. /key/info and /key/delete take either the key or this hash
// (_hash_token_if_needed hashes values starting with "sk-").
func hashToken(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func hashIfNeeded(token string) string {
	if strings.HasPrefix(token, "sk-") {
		return hashToken(token)
	}
	return token
}

// abbreviate is what LiteLLM stores as key_name: "sk-..." and the last four characters.
func abbreviate(key string) string {
	if len(key) <= 4 {
		return "sk-..."
	}
	return "sk-..." + key[len(key)-4:]
}

// keyStore holds the virtual keys.
//
// The real proxy keeps them in Postgres through Prisma (DATABASE_URL). The stand-in cannot
// speak Postgres with the standard library alone and must not pretend to, so it ignores the
// database URL and keeps the keys in memory, written through to
// $LITELLM_STANDIN_STATE_DIR/keys.json when that variable names a writable directory: with
// it, keys survive a restart of the container as they survive one of the real proxy.
type keyStore struct {
	mu   sync.Mutex
	keys map[string]*keyRecord // by token (hash)
	path string                // "" = memory only
}

const stateFileName = "keys.json"

func newKeyStore(stateDir string) (*keyStore, error) {
	s := &keyStore{keys: map[string]*keyRecord{}}
	if stateDir == "" {
		return s, nil
	}
	// Created if missing (e.g. a subdirectory of a mounted volume); the rotator skips
	// directories in the auth volume (rotator/recover.go).
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("LITELLM_STANDIN_STATE_DIR %s: %w", stateDir, err)
	}
	s.path = filepath.Join(stateDir, stateFileName)
	raw, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// First start: write an empty store now, so an unwritable directory fails the start
		// instead of the first /key/generate.
		if err := s.saveLocked(); err != nil {
			return nil, err
		}
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("read the stand-in's key store %s: %w", s.path, err)
	}
	var list []*keyRecord
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("key store %s is not valid JSON (%v): move it away to start with no keys", s.path, err)
	}
	for _, k := range list {
		s.keys[k.Token] = k
	}
	return s, nil
}

// saveLocked writes the store atomically (temporary file in the same directory, then
// rename), so a crash never leaves half a file. Callers hold mu.
func (s *keyStore) saveLocked() error {
	if s.path == "" {
		return nil
	}
	list := make([]*keyRecord, 0, len(s.keys))
	for _, k := range s.keys {
		list = append(list, k)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].CreatedAt.Before(list[j].CreatedAt) })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".keys-*.json")
	if err != nil {
		return fmt.Errorf("write the stand-in's key store in %s (LITELLM_STANDIN_STATE_DIR must be writable): %w", filepath.Dir(s.path), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("replace %s: %w", s.path, err)
	}
	return nil
}

// describe says where keys live, for the start-up log and /health/readiness.
func (s *keyStore) describe() string {
	if s.path == "" {
		return "in memory (LITELLM_STANDIN_STATE_DIR not set: keys are lost when the process exits)"
	}
	return "JSON file " + s.path
}

func (s *keyStore) byToken(token string) (keyRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[token]
	if !ok {
		return keyRecord{}, false
	}
	return k.clone(), true
}

func (k *keyRecord) clone() keyRecord {
	c := *k
	c.Models = append([]string(nil), k.Models...)
	c.Metadata = map[string]any{}
	for key, v := range k.Metadata {
		c.Metadata[key] = v
	}
	if k.KeyAlias != nil {
		c.KeyAlias = strPtr(*k.KeyAlias)
	}
	return c
}

// aliasHolderLocked returns the token of another key holding alias, if any.
func (s *keyStore) aliasHolderLocked(alias *string, except string) (string, bool) {
	if alias == nil {
		return "", false
	}
	for token, k := range s.keys {
		if token != except && k.KeyAlias != nil && *k.KeyAlias == *alias {
			return token, true
		}
	}
	return "", false
}
