package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func noEnv(string) string { return "" }

// The exact arguments components/authpool_deployment.go gives the litellm container.
func TestParseArgsAcceptsThePoolCommandLine(t *testing.T) {
	o, err := parseArgs([]string{"--config", "/etc/litellm/config.yaml", "--port", "4000", "--num_workers", "1"}, noEnv)
	require.NoError(t, err)
	require.Equal(t, options{configPath: "/etc/litellm/config.yaml", host: "0.0.0.0", port: 4000, numWorkers: 1}, o)
}

// click accepts "--flag=value" and the short -c; HOST and PORT come from the environment
// unless a flag overrides them (proxy_cli.py envvar=).
func TestParseArgsClickForms(t *testing.T) {
	env := map[string]string{"HOST": "127.0.0.1", "PORT": "5000"}
	o, err := parseArgs([]string{"-c=/c.yaml"}, func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, options{configPath: "/c.yaml", host: "127.0.0.1", port: 5000, numWorkers: 1}, o)

	o, err = parseArgs([]string{"--config=/c.yaml", "--port=4001", "--host", "::1"}, func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, 4001, o.port)
	require.Equal(t, "::1", o.host)
}

func TestParseArgsRefusesWhatItDoesNotImplement(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"an unknown flag":         {[]string{"--config", "/c.yaml", "--detailed_debug"}, `flag "--detailed_debug" is not implemented by the LiteLLM stand-in`},
		"a flag with a value":     {[]string{"--config", "/c.yaml", "--run_gunicorn=true"}, `"--run_gunicorn"`},
		"a positional argument":   {[]string{"/c.yaml"}, `unexpected argument "/c.yaml"`},
		"several workers":         {[]string{"--config", "/c.yaml", "--num_workers", "4"}, "runs exactly one worker"},
		"no config":               {[]string{"--port", "4000"}, "--config <path to config.yaml> is required"},
		"a missing value":         {[]string{"--config"}, "flag --config needs a value"},
		"a port that is not one":  {[]string{"--config", "/c.yaml", "--port", "http"}, `flag --port="http": not an integer`},
		"a port out of the range": {[]string{"--config", "/c.yaml", "--port", "70000"}, "--port 70000 is not a TCP port"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseArgs(tc.args, noEnv)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
