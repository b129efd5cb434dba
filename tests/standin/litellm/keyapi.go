package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"
)

// The key management API, checked against
// litellm/proxy/management_endpoints/key_management_endpoints.py (generate_key_fn and
// _common_key_generation_helper, update_key_fn, delete_key_fn, delete_key_aliases,
// delete_verification_tokens, info_key_fn). Only the fields the key registrar sends
// (keyregistrar/registrar.go: key, key_alias, models, metadata) are implemented; a request
// with any other field is refused rather than half-applied.

// keyRequest is the body of /key/generate and /key/update. Pointers tell "absent" from
// "empty", as pydantic's exclude_unset does.
type keyRequest struct {
	Key      *string         `json:"key"`
	KeyAlias *string         `json:"key_alias"`
	Models   *[]string       `json:"models"`
	Metadata *map[string]any `json:"metadata"`
}

// deleteRequest is KeyRequest: keys (values or hashes) or key_aliases.
type deleteRequest struct {
	Keys       []string `json:"keys"`
	KeyAliases []string `json:"key_aliases"`
}

// decodeStrict reads a JSON body, refusing fields the stand-in does not implement.
func decodeStrict(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%v (the LiteLLM stand-in implements only the fields the key registrar sends: key, key_alias, models, metadata; keys/key_aliases for /key/delete)", err)
	}
	return nil
}

// requireMaster admits the master key only. The real proxy also lets a virtual key manage
// keys within its user's role; nothing in this system does that.
func (s *server) requireMaster(w http.ResponseWriter, r *http.Request) bool {
	p, aerr := s.authenticate(r)
	if aerr != nil {
		aerr.write(w)
		return false
	}
	if !p.master {
		writeProxyError(w, http.StatusUnauthorized, fmt.Sprintf("LiteLLM stand-in: %s needs the master key (key management by virtual keys is not implemented)", r.URL.Path), errAuth, strPtr("None"))
		return false
	}
	if s.settings.databaseURL == "" {
		// generate_key_fn and the others raise when prisma_client is None.
		writeProxyError(w, http.StatusInternalServerError, "DB not connected. See https://docs.litellm.ai/docs/proxy/virtual_keys (set DATABASE_URL)", errInternal, strPtr("None"))
		return false
	}
	return true
}

// keyInfo is a record as /key/info and the generate/update answers show it: everything but
// the token (info_key_fn pops "token").
func keyInfo(k keyRecord) map[string]any {
	return map[string]any{
		"key_name":   k.KeyName,
		"key_alias":  k.KeyAlias,
		"models":     k.Models,
		"metadata":   k.Metadata,
		"spend":      0.0,
		"expires":    nil,
		"user_id":    nil,
		"team_id":    nil,
		"blocked":    nil,
		"created_at": k.CreatedAt,
		"updated_at": k.UpdatedAt,
	}
}

func (s *server) handleKeyGenerate(w http.ResponseWriter, r *http.Request) {
	if !s.requireMaster(w, r) {
		return
	}
	var req keyRequest
	if err := decodeStrict(r, &req); err != nil {
		writeProxyError(w, http.StatusBadRequest, "invalid /key/generate body: "+err.Error(), errBadRequest, nil)
		return
	}
	key := ""
	if req.Key != nil {
		key = *req.Key
		// _common_key_generation_helper: a user-provided key must start with "sk-" (400).
		if len(key) < 3 || key[:3] != "sk-" {
			masked := "****"
			if len(key) > 8 {
				masked = key[:4] + "****" + key[len(key)-4:]
			}
			writeProxyError(w, http.StatusBadRequest, "Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: "+masked, errAuth, strPtr("None"))
			return
		}
	} else {
		// generate_key_helper_fn: f"sk-{secrets.token_urlsafe(LENGTH_OF_LITELLM_GENERATED_KEY)}".
		buf := make([]byte, 16)
		if _, err := rand.Read(buf); err != nil {
			writeProxyError(w, http.StatusInternalServerError, err.Error(), errInternal, nil)
			return
		}
		key = "sk-" + base64.RawURLEncoding.EncodeToString(buf)
	}
	rec := keyRecord{Token: hashToken(key), KeyName: abbreviate(key), KeyAlias: req.KeyAlias, Models: []string{}, Metadata: map[string]any{}}
	if req.Models != nil {
		rec.Models = append(rec.Models, (*req.Models)...)
	}
	if req.Metadata != nil {
		rec.Metadata = *req.Metadata
	}

	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	// _enforce_unique_key_alias: an alias held by any key is refused with a
	// ProxyException(bad_request_error, param key_alias, 400); the key registrar recognises
	// this message (keyregistrar/client.go, alreadyExists).
	if _, taken := s.keys.aliasHolderLocked(req.KeyAlias, ""); taken {
		writeProxyError(w, http.StatusBadRequest, fmt.Sprintf("Key with alias '%s' already exists. Unique key aliases across all keys are required.", *req.KeyAlias), errBadRequest, strPtr("key_alias"))
		return
	}
	now := time.Now().UTC()
	if existing, dup := s.keys.keys[rec.Token]; dup {
		// A key value the database already holds: generate_key_helper_fn's insert is an
		// upsert that leaves the existing row alone, and the answer is still 200 with what
		// was asked (BerriAI/litellm PR 36435 describes this; the key registrar works around
		// it, keyregistrar/registrar.go). Mirrored: nothing is written.
		log.Printf("litellm-standin: /key/generate for a key value already held (alias %s): answered 200, nothing written, as LiteLLM's upsert does", aliasText(existing.KeyAlias))
	} else {
		rec.CreatedAt, rec.UpdatedAt = now, now
		s.keys.keys[rec.Token] = &rec
		if err := s.keys.saveLocked(); err != nil {
			delete(s.keys.keys, rec.Token)
			writeProxyError(w, http.StatusInternalServerError, err.Error(), errInternal, nil)
			return
		}
		log.Printf("litellm-standin: key generated: alias %s, models %s", aliasText(rec.KeyAlias), pyList(rec.Models))
	}
	answer := keyInfo(rec)
	answer["key"] = key
	answer["token"] = rec.Token
	answer["token_id"] = rec.Token
	writeJSON(w, http.StatusOK, answer)
}

func (s *server) handleKeyUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.requireMaster(w, r) {
		return
	}
	var req keyRequest
	if err := decodeStrict(r, &req); err != nil {
		writeProxyError(w, http.StatusBadRequest, "invalid /key/update body: "+err.Error(), errBadRequest, nil)
		return
	}
	if req.Key == nil || *req.Key == "" {
		writeProxyError(w, http.StatusBadRequest, "key is required", errBadRequest, strPtr("key"))
		return
	}
	token := hashIfNeeded(*req.Key)

	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	existing, ok := s.keys.keys[token]
	if !ok {
		// update_key_fn: no row for the key is a 404 (releases before BerriAI/litellm PR 24063
		// answered 401 here, from prisma get_data; the key registrar relies on the 404 to tell
		// "this alias belongs to another key").
		writeProxyError(w, http.StatusNotFound, fmt.Sprintf("{'error': 'Key not found: %s'}", abbreviate(*req.Key)), errAuth, strPtr("None"))
		return
	}
	// _enforce_unique_key_alias with existing_key_token: the key's own alias is not a clash.
	if _, taken := s.keys.aliasHolderLocked(req.KeyAlias, token); taken {
		writeProxyError(w, http.StatusBadRequest, fmt.Sprintf("Key with alias '%s' already exists. Unique key aliases across all keys are required.", *req.KeyAlias), errBadRequest, strPtr("key_alias"))
		return
	}
	before := existing.clone()
	// prepare_key_update_data: only the fields sent change; a metadata object replaces the
	// stored one as a whole.
	if req.KeyAlias != nil {
		existing.KeyAlias = strPtr(*req.KeyAlias)
	}
	if req.Models != nil {
		existing.Models = append([]string{}, (*req.Models)...)
	}
	if req.Metadata != nil {
		existing.Metadata = *req.Metadata
	}
	existing.UpdatedAt = time.Now().UTC()
	if err := s.keys.saveLocked(); err != nil {
		*existing = before
		writeProxyError(w, http.StatusInternalServerError, err.Error(), errInternal, nil)
		return
	}
	log.Printf("litellm-standin: key updated: alias %s, models %s", aliasText(existing.KeyAlias), pyList(existing.Models))
	answer := keyInfo(*existing)
	answer["key"] = *req.Key // update_key_fn answers {"key": key, **updated row}
	writeJSON(w, http.StatusOK, answer)
}

func (s *server) handleKeyDelete(w http.ResponseWriter, r *http.Request) {
	if !s.requireMaster(w, r) {
		return
	}
	var req deleteRequest
	if err := decodeStrict(r, &req); err != nil {
		writeProxyError(w, http.StatusBadRequest, "invalid /key/delete body: "+err.Error(), errBadRequest, nil)
		return
	}
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	var tokens []string
	var asked []string
	switch {
	case len(req.Keys) > 0:
		asked = req.Keys
		for _, k := range req.Keys {
			if _, ok := s.keys.keys[hashIfNeeded(k)]; ok {
				tokens = append(tokens, hashIfNeeded(k))
			}
		}
	case len(req.KeyAliases) > 0:
		// delete_key_aliases: the tokens of the keys holding those aliases.
		asked = req.KeyAliases
		for _, alias := range req.KeyAliases {
			if token, ok := s.keys.aliasHolderLocked(strPtr(alias), ""); ok {
				tokens = append(tokens, token)
			}
		}
	default:
		// delete_key_fn raises ValueError("Invalid request type").
		writeProxyError(w, http.StatusInternalServerError, "Invalid request type", errInternal, strPtr("None"))
		return
	}
	if len(tokens) == 0 {
		// delete_verification_tokens: nothing found is HTTPException(404, {"error": "No keys found"}).
		writeProxyError(w, http.StatusNotFound, "{'error': 'No keys found'}", errAuth, strPtr("None"))
		return
	}
	removed := map[string]*keyRecord{}
	for _, t := range tokens {
		removed[t] = s.keys.keys[t]
		delete(s.keys.keys, t)
	}
	if err := s.keys.saveLocked(); err != nil {
		for t, k := range removed {
			s.keys.keys[t] = k
		}
		writeProxyError(w, http.StatusInternalServerError, err.Error(), errInternal, nil)
		return
	}
	for _, k := range removed {
		log.Printf("litellm-standin: key deleted: alias %s", aliasText(k.KeyAlias))
	}
	// delete_key_fn answers with what was asked for, not what was found.
	writeJSON(w, http.StatusOK, map[string][]string{"deleted_keys": asked})
}

func (s *server) handleKeyInfo(w http.ResponseWriter, r *http.Request) {
	if !s.requireMaster(w, r) {
		return
	}
	key := r.URL.Query().Get("key")
	if key == "" {
		// info_key_fn: "key = key or user_api_key_dict.api_key"; for the master key that
		// finds no row.
		key = s.settings.masterKey
	}
	rec, ok := s.keys.byToken(hashIfNeeded(key))
	if !ok {
		writeProxyError(w, http.StatusNotFound, "Key not found in database", errNotFound, strPtr("key"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "info": keyInfo(rec)})
}

func aliasText(alias *string) string {
	if alias == nil {
		return "(none)"
	}
	return fmt.Sprintf("%q", *alias)
}
