package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// options is the part of LiteLLM's command line the auth pool uses.
type options struct {
	configPath string
	host       string
	port       int
	numWorkers int
}

// The flags, their defaults and their environment variables are those of LiteLLM's click
// command (litellm/proxy/proxy_cli.py, run_server: `--host` default "0.0.0.0" envvar HOST,
// `--port` default 4000 envvar PORT, `--num_workers` envvar NUM_WORKERS, `--config`/`-c`).
// The pool's container passes `--config <path> --port 4000 --num_workers 1`
// (components/authpool_deployment.go). Every other LiteLLM flag is refused rather than
// ignored: a stand-in that silently accepted a flag would pretend to implement it.
const (
	defaultHost = "0.0.0.0"
	defaultPort = 4000
)

// knownFlags is printed when a flag is refused.
const knownFlags = "--config/-c <path>, --port <n>, --host <addr>, --num_workers 1"

// parseArgs parses the command line the way click does for the flags above: "--flag value"
// and "--flag=value".
func parseArgs(args []string, getenv func(string) string) (options, error) {
	o := options{host: defaultHost, port: defaultPort, numWorkers: 1}
	if v := getenv("HOST"); v != "" {
		o.host = v
	}
	for _, env := range []struct {
		name string
		dst  *int
	}{{"PORT", &o.port}, {"NUM_WORKERS", &o.numWorkers}} {
		if v := getenv(env.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return options{}, fmt.Errorf("environment variable %s=%q is not an integer (LiteLLM's click option reads it as one)", env.name, v)
			}
			*env.dst = n
		}
	}

	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(arg, "=")
		if !strings.HasPrefix(name, "-") {
			return options{}, fmt.Errorf("unexpected argument %q: the LiteLLM stand-in takes only %s", arg, knownFlags)
		}
		switch name {
		case "--config", "-c", "--port", "--host", "--num_workers":
		default:
			return options{}, fmt.Errorf("flag %q is not implemented by the LiteLLM stand-in (it takes only %s); "+
				"the real LiteLLM accepts it, so either drop it from the container's args or add it to tests/standin/litellm", name, knownFlags)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return options{}, fmt.Errorf("flag %s needs a value", name)
			}
			i++
			value = args[i]
		}
		switch name {
		case "--config", "-c":
			o.configPath = value
		case "--host":
			o.host = value
		case "--port", "--num_workers":
			n, err := strconv.Atoi(value)
			if err != nil {
				return options{}, fmt.Errorf("flag %s=%q: not an integer", name, value)
			}
			if name == "--port" {
				o.port = n
			} else {
				o.numWorkers = n
			}
		}
	}

	if o.configPath == "" {
		// The real proxy starts without a config (no models); the pool always passes one, and
		// everything the stand-in does depends on it.
		return options{}, errors.New("--config <path to config.yaml> is required by the LiteLLM stand-in")
	}
	if o.port < 1 || o.port > 65535 {
		return options{}, fmt.Errorf("--port %d is not a TCP port", o.port)
	}
	if o.numWorkers != 1 {
		// Several workers would be several processes each reading and refreshing the same
		// token file; the pool runs exactly one (components/authpool_deployment.go), and the
		// stand-in is one process.
		return options{}, fmt.Errorf("--num_workers %d: the LiteLLM stand-in runs exactly one worker (the pool passes --num_workers 1: one process per token file)", o.numWorkers)
	}
	return o, nil
}
