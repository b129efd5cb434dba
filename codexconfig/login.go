package codexconfig

// CredentialsStoreFile makes `codex login` keep the login in $CODEX_HOME/auth.json instead
// of a keyring: that file is what the auth pool's rotator imports.
const CredentialsStoreFile = "file"

// LoginConfig is the config.toml the auth pool's auth-login runs `codex login --device-auth`
// with. It sets nothing but where the login goes: no model or provider, since the CLI only
// logs in there.
func LoginConfig() Config {
	return Config{CLIAuthCredentialsStore: CredentialsStoreFile}
}
