// Command codex-auth-rotator keeps LiteLLM's ChatGPT token file valid and rotates it among
// ChatGPT accounts. See docs/rotator.md.
//
//	codex-auth-rotator seed   --dir D --accounts 1,2 [--reserved 3] [--wait-interval 30s] [--no-wait]
//	codex-auth-rotator import --dir D --accounts 1,2 [--reserved 3] N [--from FILE]
//	codex-auth-rotator run    --dir D --accounts 1,2 [--reserved 3] --interval 30m --listen 127.0.0.1:4099
//	codex-auth-rotator status --dir D [--json]
//	codex-auth-rotator ready  --dir D [--max-age 5m]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"cloud-codex/rotator"
)

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitNoAccount = 3 // seed --no-wait: no usable account, and only logins would help (all missing or dead)
	// exitNoAccountNow: seed --no-wait found no usable account now, but at least one may come
	// back without a login (the token endpoint failing, a temporary park).
	exitNoAccountNow = 4
	// exitNotReady: ready found no usable account in LiteLLM's token file (the readiness
	// probe fails on any non-zero exit).
	exitNotReady = 1
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage:
  codex-auth-rotator seed   --dir DIR --accounts 1,2 [--reserved 3] [--wait-interval 30s] [--no-wait]
  codex-auth-rotator import --dir DIR --accounts 1,2 [--reserved 3] N [--from FILE]
  codex-auth-rotator run    --dir DIR --accounts 1,2 [--reserved 3] [--interval 30m] [--listen 127.0.0.1:4099]
  codex-auth-rotator status --dir DIR [--json]
  codex-auth-rotator ready  --dir DIR [--max-age 5m]
Run "codex-auth-rotator COMMAND -h" for a command's flags.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "seed":
		return seedCmd(ctx, rest, stderr)
	case "import":
		return importCmd(rest, stdin, stderr)
	case "run":
		return runCmd(ctx, rest, stderr)
	case "status":
		return statusCmd(rest, stdout, stderr)
	case "ready":
		return readyCmd(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "unknown command %q\n%s", cmd, usage)
	return exitUsage
}

// common are the flags every command that touches accounts shares.
type common struct {
	dir, accounts, reserved string
	namespace, deployment   string
	tokenURL, clientID      string
}

func (c *common) register(fs *flag.FlagSet, oauth bool) {
	fs.StringVar(&c.dir, "dir", rotator.DefaultDir, "the chatgpt-auth directory (auth-N.json, LiteLLM's auth.json, the status file)")
	fs.StringVar(&c.accounts, "accounts", "", "accounts in rotation, comma-separated, e.g. 1,2 (required)")
	fs.StringVar(&c.reserved, "reserved", "", "reserved accounts, comma-separated: may be imported, never used, refreshed or written")
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = rotator.DefaultNamespace
	}
	fs.StringVar(&c.namespace, "namespace", ns, "namespace of the LiteLLM deployment, for the auth-login command shown to operators (default: $POD_NAMESPACE, else \"default\")")
	fs.StringVar(&c.deployment, "deployment", rotator.DefaultDeployment, "name of the LiteLLM deployment, for the auth-login command shown to operators")
	if oauth {
		fs.StringVar(&c.tokenURL, "token-url", rotator.DefaultTokenURL, "OAuth token endpoint used to refresh accounts")
		fs.StringVar(&c.clientID, "client-id", rotator.DefaultClientID, "OAuth client id used to refresh accounts (codex CLI's)")
	}
}

func (c *common) config(logger *log.Logger) (rotator.Config, error) {
	if c.accounts == "" {
		return rotator.Config{}, errors.New("--accounts is required (e.g. --accounts 1,2)")
	}
	accts, err := rotator.ParseAccountList(c.accounts)
	if err != nil {
		return rotator.Config{}, fmt.Errorf("--accounts: %w", err)
	}
	reserved, err := rotator.ParseAccountList(c.reserved)
	if err != nil {
		return rotator.Config{}, fmt.Errorf("--reserved: %w", err)
	}
	cfg := rotator.Config{
		Dir: c.dir, Accounts: accts, Reserved: reserved,
		Namespace: c.namespace, Deployment: c.deployment,
		TokenURL: c.tokenURL, ClientID: c.clientID,
		Logger: logger,
	}
	if err := cfg.Validate(); err != nil {
		return rotator.Config{}, err
	}
	return cfg, nil
}

// positive refuses a duration flag that is zero or negative: none of them has a meaning
// for those values, and taking one silently (a park that ended before it began, a default
// instead of what was asked) hides the mistake.
func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("-%s %s: must be positive", name, d)
	}
	return nil
}

func newLogger(w io.Writer, cmd string) *log.Logger {
	return log.New(w, "codex-auth-rotator "+cmd+": ", log.LstdFlags|log.LUTC|log.Lmsgprefix)
}

// parseInterspersed parses flags that may come before and after positional arguments
// ("import --dir D 2 --from f"), which flag.Parse alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("codex-auth-rotator "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func failUsage(stderr io.Writer, fs *flag.FlagSet, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
	return exitUsage
}

func seedCmd(ctx context.Context, args []string, stderr io.Writer) int {
	fs := newFlagSet("seed", stderr)
	var c common
	c.register(fs, true)
	waitInterval := fs.Duration("wait-interval", 30*time.Second, "while no account is usable, check again this often")
	noWait := fs.Bool("no-wait", false, "exit instead of waiting when no account is usable: 3 if only logins would help, 4 if an account may recover by itself")
	_, err := parseNoPositional(fs, args)
	if err == nil {
		err = positive("wait-interval", *waitInterval)
	}
	if err != nil {
		return failUsage(stderr, fs, err)
	}
	logger := newLogger(stderr, "seed")
	cfg, err := c.config(logger)
	if err != nil {
		return failUsage(stderr, fs, err)
	}
	n, err := rotator.SeedWait(ctx, cfg, *waitInterval, !*noWait)
	var none *rotator.NoUsableAccountError
	switch {
	case errors.As(err, &none):
		logger.Printf("%v. %s", none, none.Remedy())
		if none.NeedsLogin {
			return exitNoAccount
		}
		return exitNoAccountNow
	case err != nil:
		logger.Print(err)
		return exitError
	}
	logger.Printf("done: LiteLLM's token file holds account %d", n)
	return exitOK
}

func parseNoPositional(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("unexpected argument %q", pos[0])
	}
	return pos, err
}

func importCmd(args []string, stdin io.Reader, stderr io.Writer) int {
	fs := newFlagSet("import", stderr)
	var c common
	c.register(fs, false)
	from := fs.String("from", "-", "codex auth.json to import (\"-\": standard input)")
	pos, err := parseInterspersed(fs, args)
	if err == nil && len(pos) != 1 {
		err = fmt.Errorf("want exactly one account number, got %d arguments", len(pos))
	}
	if err != nil {
		return failUsage(stderr, fs, err)
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil {
		return failUsage(stderr, fs, fmt.Errorf("account number %q: not a number", pos[0]))
	}
	logger := newLogger(stderr, "import")
	cfg, err := c.config(logger)
	if err != nil {
		return failUsage(stderr, fs, err)
	}
	var data []byte
	if *from == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
	} else {
		data, err = os.ReadFile(*from)
	}
	if err != nil {
		logger.Printf("reading the login to import: %v", err)
		return exitError
	}
	if err := rotator.Import(cfg, n, data); err != nil {
		logger.Print(err)
		return exitError
	}
	role := "in rotation"
	for _, r := range cfg.Reserved {
		if r == n {
			role = "reserved: stored, never used until moved into --accounts"
		}
	}
	logger.Printf("account %d imported (%s)", n, role)
	return exitOK
}

func runCmd(ctx context.Context, args []string, stderr io.Writer) int {
	fs := newFlagSet("run", stderr)
	var c common
	c.register(fs, true)
	interval := fs.Duration("interval", rotator.MinInterval, "rotate to the next account this often (at least 30m)")
	listen := fs.String("listen", "127.0.0.1:4099", "address for LiteLLM's generic_api logging callback (GENERIC_LOGGER_ENDPOINT=http://ADDR"+rotator.EventsPath+")")
	usagePark := fs.Duration("usage-limit-park", rotator.DefaultUsageLimitPark, "park an account this long after a usage-limit 429 that does not say when the limit resets")
	transientPark := fs.Duration("transient-park", rotator.DefaultTransientPark, "park an account this long after a transient 429 or a failed refresh")
	_, err := parseNoPositional(fs, args)
	if err == nil {
		err = positive("usage-limit-park", *usagePark)
	}
	if err == nil {
		err = positive("transient-park", *transientPark)
	}
	if err != nil {
		return failUsage(stderr, fs, err)
	}
	logger := newLogger(stderr, "run")
	cfg, err := c.config(logger)
	if err == nil {
		cfg.Interval, cfg.UsageLimitPark, cfg.TransientPark = *interval, *usagePark, *transientPark
		err = cfg.ValidateInterval()
	}
	if err != nil {
		return failUsage(stderr, fs, err)
	}
	if err := rotator.Run(ctx, cfg, *listen); err != nil {
		logger.Print(err)
		return exitError
	}
	return exitOK
}

func statusCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status", stderr)
	dir := fs.String("dir", rotator.DefaultDir, "the chatgpt-auth directory")
	asJSON := fs.Bool("json", false, "print the status file as JSON")
	if _, err := parseNoPositional(fs, args); err != nil {
		return failUsage(stderr, fs, err)
	}
	st, err := rotator.ReadStatus(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "codex-auth-rotator status: %v (has seed run yet?)\n", err)
		return exitError
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return exitError
		}
		return exitOK
	}
	if err := rotator.FormatStatus(stdout, st, time.Now()); err != nil {
		return exitError
	}
	return exitOK
}

// readyCmd is the auth pool's readiness probe: exit 0 while LiteLLM's token file holds a
// usable account and the rotator keeps the status file current, else exit 1 with the
// reason (the kubelet shows it in the pod's events). While it fails, the pool's Service has
// no endpoint, so agents' calls fail at once instead of waiting on LiteLLM.
func readyCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ready", stderr)
	dir := fs.String("dir", rotator.DefaultDir, "the chatgpt-auth directory")
	maxAge := fs.Duration("max-age", rotator.ReadyMaxAge, "not ready if the status file is older than this (0: no limit)")
	_, err := parseNoPositional(fs, args)
	if err == nil && *maxAge < 0 {
		err = fmt.Errorf("-max-age %s: must not be negative (0 turns the age check off)", *maxAge)
	}
	if err != nil {
		return failUsage(stderr, fs, err)
	}
	st, err := rotator.ReadStatus(*dir)
	if err != nil {
		fmt.Fprintf(stdout, "not ready: %v (has seed run yet?)\n", err)
		return exitNotReady
	}
	if why := st.NotReady(time.Now(), *maxAge); why != "" {
		fmt.Fprintf(stdout, "not ready: %s\n", why)
		return exitNotReady
	}
	fmt.Fprintf(stdout, "ready: LiteLLM uses account %d\n", st.Active)
	return exitOK
}
