package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cloud-codex/keyregistrar"
)

func generate(e *testEnv, key, alias string, models ...string) (int, string) {
	body, _ := json.Marshal(map[string]any{"key": key, "key_alias": alias, "models": models, "metadata": map[string]string{"agent": alias}})
	return e.do("POST", "/key/generate", testMasterKey, string(body))
}

func info(t *testing.T, e *testEnv, key string) (alias string, models []string) {
	t.Helper()
	status, body := e.do("GET", "/key/info?key="+key, testMasterKey, "")
	require.Equal(t, 200, status, body)
	var parsed struct {
		Key  string `json:"key"`
		Info struct {
			KeyAlias string   `json:"key_alias"`
			Models   []string `json:"models"`
			Token    *string  `json:"token"`
		} `json:"info"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &parsed))
	require.Equal(t, key, parsed.Key)
	require.Nil(t, parsed.Info.Token, "info_key_fn pops the hashed token")
	return parsed.Info.KeyAlias, parsed.Info.Models
}

func TestKeyGenerateAndInfo(t *testing.T) {
	e := newTestEnv(t, "http://127.0.0.1:1", nil)
	status, body := generate(e, testAgentKey, "cloud-codex-a1", testAlias)
	require.Equal(t, 200, status, body)
	var gen map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &gen))
	require.Equal(t, testAgentKey, gen["key"])
	require.Equal(t, hashToken(testAgentKey), gen["token"], "the token LiteLLM returns is the SHA-256 of the key")

	alias, models := info(t, e, testAgentKey)
	require.Equal(t, "cloud-codex-a1", alias)
	require.Equal(t, []string{testAlias}, models)
	// /key/info also takes the hash.
	alias, _ = info(t, e, hashToken(testAgentKey))
	require.Equal(t, "cloud-codex-a1", alias)

	status, body = e.do("GET", "/key/info?key=sk-unknown-key", testMasterKey, "")
	require.Equal(t, 404, status)
	msg, typ := errorMessage(t, body)
	require.Equal(t, "Key not found in database", msg)
	require.Equal(t, errNotFound, typ)
}

func TestKeyGenerateRefusals(t *testing.T) {
	e := newTestEnv(t, "http://127.0.0.1:1", nil)
	status, body := generate(e, testAgentKey, "cloud-codex-a1", testAlias)
	require.Equal(t, 200, status, body)

	// The alias is unique across keys: the message the key registrar recognises.
	status, body = generate(e, "sk-other-0123456789abcdef0123456789abcdef", "cloud-codex-a1", testAlias)
	require.Equal(t, 400, status)
	msg, _ := errorMessage(t, body)
	require.Equal(t, "Key with alias 'cloud-codex-a1' already exists. Unique key aliases across all keys are required.", msg)

	status, body = generate(e, "not-an-sk-key-0123456789", "x", testAlias)
	require.Equal(t, 400, status)
	msg, _ = errorMessage(t, body)
	require.Contains(t, msg, "must start with 'sk-'")
	require.NotContains(t, msg, "not-an-sk-key-0123456789", "the key is masked in the message")

	// A field the stand-in does not implement is refused, not ignored.
	status, body = e.do("POST", "/key/generate", testMasterKey, `{"key_alias":"y","max_budget":1}`)
	require.Equal(t, 400, status)
	msg, _ = errorMessage(t, body)
	require.Contains(t, msg, `unknown field "max_budget"`)

	// Only the master key manages keys.
	status, _ = e.do("POST", "/key/generate", testAgentKey, `{"key_alias":"z"}`)
	require.Equal(t, 401, status)
	status, _ = e.do("POST", "/key/generate", "", `{"key_alias":"z"}`)
	require.Equal(t, 401, status)
}

// A key value already held, under another alias: LiteLLM's upsert answers 200 and writes
// nothing (the case keyregistrar works around).
func TestKeyGenerateOfAHeldKeyValueWritesNothing(t *testing.T) {
	e := newTestEnv(t, "http://127.0.0.1:1", nil)
	status, body := generate(e, testAgentKey, "first", testAlias)
	require.Equal(t, 200, status, body)
	status, body = generate(e, testAgentKey, "second", "other-model")
	require.Equal(t, 200, status, body)
	alias, models := info(t, e, testAgentKey)
	require.Equal(t, "first", alias)
	require.Equal(t, []string{testAlias}, models)
}

func TestKeyUpdateAndDelete(t *testing.T) {
	e := newTestEnv(t, "http://127.0.0.1:1", nil)
	other := "sk-other-0123456789abcdef0123456789abcdef"
	for key, alias := range map[string]string{testAgentKey: "a1", other: "a2"} {
		status, body := generate(e, key, alias, testAlias)
		require.Equal(t, 200, status, body)
	}

	status, body := e.do("POST", "/key/update", testMasterKey, `{"key":"`+testAgentKey+`","key_alias":"a1","models":["m1","m2"]}`)
	require.Equal(t, 200, status, body, "a key keeps its own alias")
	alias, models := info(t, e, testAgentKey)
	require.Equal(t, "a1", alias)
	require.Equal(t, []string{"m1", "m2"}, models)

	status, body = e.do("POST", "/key/update", testMasterKey, `{"key":"`+testAgentKey+`","key_alias":"a2"}`)
	require.Equal(t, 400, status, "another key's alias")
	msg, _ := errorMessage(t, body)
	require.Contains(t, msg, "Key with alias 'a2' already exists")

	status, _ = e.do("POST", "/key/update", testMasterKey, `{"key":"sk-never-generated-0123456789abcdef","key_alias":"a3"}`)
	require.Equal(t, 404, status, "the key registrar reads a 404 as: this alias belongs to another key")

	status, body = e.do("POST", "/key/delete", testMasterKey, `{"key_aliases":["a2","nobody"]}`)
	require.Equal(t, 200, status, body)
	require.JSONEq(t, `{"deleted_keys":["a2","nobody"]}`, body, "delete_key_fn echoes what was asked")
	status, _ = e.do("GET", "/key/info?key="+other, testMasterKey, "")
	require.Equal(t, 404, status)

	status, body = e.do("POST", "/key/delete", testMasterKey, `{"key_aliases":["a2"]}`)
	require.Equal(t, 404, status)
	msg, _ = errorMessage(t, body)
	require.Contains(t, msg, "No keys found")

	status, body = e.do("POST", "/key/delete", testMasterKey, `{"keys":["`+testAgentKey+`"]}`)
	require.Equal(t, 200, status, body)
	status, _ = e.do("POST", "/v1/responses", testAgentKey, `{"model":"`+testAlias+`","input":"hi","stream":true}`)
	require.Equal(t, 401, status, "a deleted key no longer authenticates")
}

// Keys live in $LITELLM_STANDIN_STATE_DIR and survive a restart, as they survive one of the
// real proxy (Postgres).
func TestKeysSurviveARestart(t *testing.T) {
	e := newTestEnv(t, "http://127.0.0.1:1", nil)
	status, body := generate(e, testAgentKey, "a1", testAlias)
	require.Equal(t, 200, status, body)

	e.http.Close()
	e.start(poolConfig(t, t.TempDir()))
	alias, _ := info(t, e, testAgentKey)
	require.Equal(t, "a1", alias)

	// A state directory that does not exist yet is created.
	e.env["LITELLM_STANDIN_STATE_DIR"] = filepath.Join(e.stateDir, "sub", "dir")
	e.start(poolConfig(t, t.TempDir()))
	status, body = generate(e, testAgentKey, "a1", testAlias)
	require.Equal(t, 200, status, body)
	_, err := os.Stat(filepath.Join(e.stateDir, "sub", "dir", stateFileName))
	require.NoError(t, err)
}

// Without DATABASE_URL LiteLLM has no key store: /key/* fail and only the master key works.
func TestNoDatabaseNoVirtualKeys(t *testing.T) {
	e := newTestEnv(t, "http://127.0.0.1:1", map[string]string{"DATABASE_URL": ""})
	status, body := generate(e, testAgentKey, "a1", testAlias)
	require.Equal(t, 500, status)
	msg, _ := errorMessage(t, body)
	require.Contains(t, msg, "DB not connected")
	status, body = e.do("POST", "/v1/responses", testAgentKey, `{"model":"`+testAlias+`","input":"hi","stream":true}`)
	require.Equal(t, 401, status)
	msg, _ = errorMessage(t, body)
	require.Contains(t, msg, "No connected db")
}

// The project's own key registrar (the program every agent's key Job runs) against the
// stand-in: create, then update on a re-run, then replace after the key is rotated.
func TestKeyRegistrarAgainstTheStandin(t *testing.T) {
	e := newTestEnv(t, "http://127.0.0.1:1", nil)
	var log bytes.Buffer
	cfg := keyregistrar.Config{
		URL: e.http.URL + "/v1", MasterKey: testMasterKey, Key: testAgentKey, Alias: "cloud-codex-a1",
		Models: []string{testAlias}, Metadata: map[string]string{"agent": "a1"},
		ReadyInterval: 10 * time.Millisecond, Backoff: 10 * time.Millisecond, Log: &log,
	}
	ctx := context.Background()

	out, err := keyregistrar.Register(ctx, cfg)
	require.NoError(t, err, log.String())
	require.Equal(t, keyregistrar.Created, out)

	out, err = keyregistrar.Register(ctx, cfg)
	require.NoError(t, err, log.String())
	require.Equal(t, keyregistrar.Updated, out)

	rotated := cfg
	rotated.Key = "sk-rotated-0123456789abcdef0123456789abcdef"
	out, err = keyregistrar.Register(ctx, rotated)
	require.NoError(t, err, log.String())
	require.Equal(t, keyregistrar.Replaced, out)
	status, _ := e.do("GET", "/key/info?key="+testAgentKey, testMasterKey, "")
	require.Equal(t, 404, status, "the previous value of the rotated key is revoked")
	alias, models := info(t, e, rotated.Key)
	require.Equal(t, "cloud-codex-a1", alias)
	require.Equal(t, []string{testAlias}, models)
}
