package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// What the stand-in cannot serve faithfully stops the start, with the reason.
func TestStartRefusals(t *testing.T) {
	pool := func(dir string) string { return poolConfig(t, dir) }
	custom := func(yaml string) func(string) string {
		return func(dir string) string {
			p := filepath.Join(dir, "config.yaml")
			require.NoError(t, os.WriteFile(p, []byte(yaml), 0o600))
			return p
		}
	}
	for name, tc := range map[string]struct {
		config func(dir string) string
		unset  string
		want   string
	}{
		"no CHATGPT_API_BASE":        {pool, "CHATGPT_API_BASE", "CHATGPT_API_BASE is not set"},
		"no GENERIC_LOGGER_ENDPOINT": {pool, "GENERIC_LOGGER_ENDPOINT", "GENERIC_LOGGER_ENDPOINT is not set"},
		"no CHATGPT_TOKEN_DIR":       {pool, "CHATGPT_TOKEN_DIR", "CHATGPT_TOKEN_DIR is not set"},
		"no master key":              {pool, "LITELLM_MASTER_KEY", "no master key"},
		"another provider": {custom("model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n" +
			"general_settings:\n  master_key: sk-x\n"), "", `maps to "openai/gpt-4o"`},
		"another callback": {custom("model_list:\n  - model_name: a\n    litellm_params:\n      model: chatgpt/gpt-5.4\n" +
			"litellm_settings:\n  callbacks: [langfuse]\ngeneral_settings:\n  master_key: sk-x\n"), "", `callbacks has "langfuse"`},
		"an empty model list": {custom("general_settings:\n  master_key: sk-x\n"), "", "model_list is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{
				"CHATGPT_TOKEN_DIR": dir, "CHATGPT_API_BASE": "http://127.0.0.1:1", "GENERIC_LOGGER_ENDPOINT": "http://127.0.0.1:1",
				"LITELLM_MASTER_KEY": testMasterKey, "DATABASE_URL": "postgresql://x",
			}
			delete(env, tc.unset)
			getenv := func(k string) string { return env[k] }
			st, err := loadSettings(tc.config(dir), getenv)
			if err == nil {
				_, err = newServer(st, getenv)
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// The fallbacks and retries the pool may configure are named at start as not implemented.
func TestIgnoredRouterSettingsAreNamed(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(p, []byte("model_list:\n  - model_name: a\n    litellm_params:\n      model: chatgpt/gpt-5.4\n"+
		"  - model_name: b\n    litellm_params:\n      model: chatgpt/gpt-5.4-mini\n"+
		"router_settings:\n  num_retries: 2\n  fallbacks: [{a: [b]}]\ngeneral_settings:\n  master_key: sk-x\n"), 0o600))
	st, err := loadSettings(p, noEnv)
	require.NoError(t, err)
	joined := strings.Join(st.ignored, "\n")
	require.Contains(t, joined, "router_settings.fallbacks (1 entries)")
	require.Contains(t, joined, "router_settings.num_retries=2")
	require.Equal(t, "sk-x", st.masterKey, "a literal master_key is used as is")
}
