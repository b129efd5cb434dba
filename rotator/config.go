package rotator

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of the command's flags.
const (
	DefaultDir        = "/chatgpt-auth"
	DefaultTokenURL   = "https://auth.openai.com/oauth/token"
	DefaultClientID   = "app_EMoamEEZ73f0CkXaXp7hrann" // codex CLI's public OAuth client
	DefaultDeployment = "litellm"
	DefaultNamespace  = "default"

	// MinInterval is the shortest rotation interval accepted: switching accounts more
	// often from one address got ChatGPT sessions invalidated.
	MinInterval = 30 * time.Minute

	// DefaultUsageLimitPark is how long an account that hit its usage limit is left out
	// when the 429 does not say when the limit resets (ChatGPT's short window is 5 h).
	DefaultUsageLimitPark = 5 * time.Hour
	// DefaultTransientPark is how long an account is left out after a transient failure:
	// a plain rate-limit 429, or a refresh that failed with 5xx or a timeout.
	DefaultTransientPark = 5 * time.Minute
	// DefaultMinValidity: an account handed to LiteLLM must have an access token valid at
	// least this long; otherwise the rotator refreshes it first. It is well above
	// LiteLLM's own 60 s refresh skew, so LiteLLM does not refresh it right after a switch.
	DefaultMinValidity = 10 * time.Minute
)

// StatusFileName is the rotator's status file in the auth directory.
const StatusFileName = "rotator-status.json"

// Config is what every command of the rotator needs to know.
type Config struct {
	Dir      string // the chatgpt-auth volume
	Accounts []int  // accounts in rotation, in round-robin order
	Reserved []int  // accounts that may be imported but are never read for use, refreshed or written

	Interval time.Duration // rotation interval (run only), at least MinInterval

	TokenURL   string
	ClientID   string
	HTTPClient *http.Client

	// Namespace and Deployment name the LiteLLM deployment in the kubectl command that log
	// lines and the status file give operators for a device-auth login.
	Namespace  string
	Deployment string

	UsageLimitPark time.Duration
	TransientPark  time.Duration
	MinValidity    time.Duration

	Clock  Clock
	Logger *log.Logger

	// writer performs every file write; tests replace its hooks to simulate crashes.
	writer *atomicWriter
	// onRead, when set, sees the path of every file the rotator reads (tests use it to
	// prove reserved accounts are never read).
	onRead func(path string)
	// tornReadDelay is how long to wait before re-reading a flat file that did not parse
	// (LiteLLM rewrites it in place, so a read can catch it half-written).
	tornReadDelay time.Duration
	// timing bounds token exchanges (refresh.go); zero fields take the defaults.
	timing exchangeTiming
	// watchEvery is how often the watch over LiteLLM's token file looks at the clock during
	// a token exchange (watch.go); one second when zero.
	watchEvery time.Duration
}

// withDefaults fills in what the caller left zero.
func (c Config) withDefaults() Config {
	if c.Dir == "" {
		c.Dir = DefaultDir
	}
	if c.TokenURL == "" {
		c.TokenURL = DefaultTokenURL
	}
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.HTTPClient == nil {
		// No Timeout: a token exchange is bounded by its own phases (refresh.go), and
		// an overall deadline would abandon a request the endpoint may have acted on.
		c.HTTPClient = &http.Client{}
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Deployment == "" {
		c.Deployment = DefaultDeployment
	}
	if c.UsageLimitPark == 0 {
		c.UsageLimitPark = DefaultUsageLimitPark
	}
	if c.TransientPark == 0 {
		c.TransientPark = DefaultTransientPark
	}
	if c.MinValidity == 0 {
		c.MinValidity = DefaultMinValidity
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = log.New(os.Stderr, "codex-auth-rotator: ", log.LstdFlags|log.LUTC|log.Lmsgprefix)
	}
	if c.writer == nil {
		c.writer = &atomicWriter{}
	}
	return c
}

// Validate checks what every command relies on: the account sets, and durations that are
// not negative (zero means the default). The command calls it before anything else, so a
// mistake in its flags is a usage error, not a failure half-way through.
func (c Config) Validate() error {
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"interval", c.Interval}, {"usage-limit park", c.UsageLimitPark}, {"transient park", c.TransientPark}, {"minimum validity", c.MinValidity}} {
		if d.d < 0 {
			return fmt.Errorf("the %s is negative (%s)", d.name, d.d)
		}
	}
	if len(c.Accounts) == 0 {
		return errors.New("no accounts in rotation (--accounts)")
	}
	seen := map[int]string{}
	for _, set := range []struct {
		name string
		ns   []int
	}{{"--accounts", c.Accounts}, {"--reserved", c.Reserved}} {
		for _, n := range set.ns {
			if n < 1 {
				return fmt.Errorf("%s: account numbers start at 1, got %d", set.name, n)
			}
			if prev, dup := seen[n]; dup {
				return fmt.Errorf("account %d is listed twice (%s and %s)", n, prev, set.name)
			}
			seen[n] = set.name
		}
	}
	return nil
}

// ValidateInterval is the run command's extra check.
func (c Config) ValidateInterval() error {
	if c.Interval < MinInterval {
		return fmt.Errorf("--interval %s is below the %s minimum: switching ChatGPT accounts more often from one address got sessions invalidated", c.Interval, MinInterval)
	}
	return nil
}

func (c Config) inRotation(n int) bool { return slices.Contains(c.Accounts, n) }
func (c Config) isReserved(n int) bool { return slices.Contains(c.Reserved, n) }

// LoginCommand is what an operator runs to give account n a fresh device-auth login.
func (c Config) LoginCommand(n int) string {
	return fmt.Sprintf("kubectl exec -n %s -it deploy/%s -c codex-cli -- auth-login %d", c.Namespace, c.Deployment, n)
}

// ParseAccountList parses a comma-separated list of account numbers such as "1,2". The
// empty string is the empty list.
func ParseAccountList(s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("account list %q: %q is not a number", s, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// FormatAccountList is the inverse of ParseAccountList.
func FormatAccountList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}
