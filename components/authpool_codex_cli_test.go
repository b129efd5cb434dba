package components

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cloud-codex/codexconfig"
	"cloud-codex/internal/testsupport"
)

// auth-login runs `codex login --device-auth` with the rendered login config, and the
// rotator imports the auth.json it leaves in CODEX_HOME. The real codex CLI the pool
// installs must therefore read that config and keep its login in that file. `codex login
// status` shows both: with the config, it reports the login stored in $CODEX_HOME/auth.json;
// with another store the same file is ignored; and an unknown store value is refused, so the
// key is one codex reads (a misspelt key would be silently ignored by `codex login`).
func TestAuthPoolLoginConfigMakesRealCodexCLIUseTheAuthFile(t *testing.T) {
	codex := testsupport.CodexCLI(t, DefaultCodexVersion)
	rendered, err := codexconfig.Render(codexconfig.LoginConfig())
	require.NoError(t, err)

	status := func(config string) string {
		t.Helper()
		home := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(home, codexconfig.FileName), []byte(config), 0o600))
		// An API-key login is the one `login status` can show without a network call.
		require.NoError(t, os.WriteFile(filepath.Join(home, "auth.json"),
			[]byte(`{"auth_mode":"apikey","OPENAI_API_KEY":"sk-login-config-test"}`), 0o600))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, codex, "login", "status")
		cmd.Env = append(os.Environ(), "CODEX_HOME="+home, "HOME="+t.TempDir())
		out, _ := cmd.CombinedOutput() // exits 1 when not logged in; the output says why
		return string(out)
	}

	require.Contains(t, status(rendered), "API key configured", "the login config must make codex use $CODEX_HOME/auth.json")

	other := codexconfig.LoginConfig()
	other.CLIAuthCredentialsStore = "ephemeral"
	ephemeral, err := codexconfig.Render(other)
	require.NoError(t, err)
	require.Contains(t, status(ephemeral), "Not logged in", "control: another store ignores the file")

	other.CLIAuthCredentialsStore = "not-a-store"
	bogus, err := codexconfig.Render(other)
	require.NoError(t, err)
	require.Contains(t, status(bogus), "unknown variant `not-a-store`", "control: codex reads this key")
}
