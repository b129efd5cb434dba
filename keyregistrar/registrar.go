package keyregistrar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults of Config's tuning fields.
const (
	DefaultReadyTimeout   = 25 * time.Minute
	DefaultReadyInterval  = 5 * time.Second
	DefaultRequestTimeout = 30 * time.Second
	DefaultAttempts       = 5
	DefaultBackoff        = 2 * time.Second
	maxBackoff            = 30 * time.Second
)

// Environment variables the command reads its two secrets from (never flags: a command
// line is visible to every process of the node).
const (
	EnvMasterKey = "LITELLM_MASTER_KEY"
	EnvKey       = "LITELLM_VIRTUAL_KEY"
)

// KeyPrefix is the prefix LiteLLM requires of a custom virtual key value (and of its master key).
const KeyPrefix = "sk-"

// minKeyLen is the shortest key value accepted: the prefix and 32 random characters.
const minKeyLen = len(KeyPrefix) + 32

// Config is one registration.
type Config struct {
	// URL is LiteLLM's base URL, with or without the OpenAI "/v1" suffix, e.g.
	// http://litellm.agents.svc.cluster.local:4000/v1.
	URL string
	// MasterKey is LiteLLM's master key (LITELLM_MASTER_KEY).
	MasterKey string
	// Key is the virtual key's value ("sk-…").
	Key string
	// Alias is the key's key_alias (unique across LiteLLM's keys).
	Alias string
	// Models is the key's allowlist: the model names it may call. Not empty (LiteLLM reads
	// an empty list as "every model").
	Models []string
	// Metadata is stored with the key (it replaces what LiteLLM held).
	Metadata map[string]string

	// ReadyTimeout bounds the wait for LiteLLM's readiness; 0 means DefaultReadyTimeout,
	// a negative value skips the wait.
	ReadyTimeout time.Duration
	// ReadyInterval is the pause between readiness probes. Default DefaultReadyInterval.
	ReadyInterval time.Duration
	// RequestTimeout bounds each HTTP request. Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Attempts is how often one API call is tried when LiteLLM cannot answer (transport
	// error, timeout, 429, 5xx). Default DefaultAttempts.
	Attempts int
	// Backoff is the delay before the first retry, doubled for each further one (at most
	// 30 s). Default DefaultBackoff.
	Backoff time.Duration
	// HTTPClient sends the requests. Default: a client without redirects.
	HTTPClient *http.Client
	// Log receives progress lines. Default io.Discard.
	Log io.Writer
}

// Outcome is what a successful Register did.
type Outcome string

const (
	// Created: the key did not exist and was generated.
	Created Outcome = "created"
	// Updated: the key existed; its allowlist, alias and metadata were set.
	Updated Outcome = "updated"
	// Replaced: the alias belonged to another key (a rotated key's previous value), which
	// was deleted; the key was then generated.
	Replaced Outcome = "replaced"
)

// AdminBase returns LiteLLM's root URL from its base URL: without a trailing slash and
// without the OpenAI "/v1" suffix, under which the key API is not served.
func AdminBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("LiteLLM URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("LiteLLM URL %q: want http(s)://host[:port][/v1]", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("LiteLLM URL %q: no query, fragment or user info allowed", raw)
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/v1")
	u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
	return u.String(), nil
}

// Validate checks a Config before anything is sent.
func (c Config) Validate() error {
	if _, err := AdminBase(c.URL); err != nil {
		return err
	}
	var problems []string
	if c.MasterKey == "" {
		problems = append(problems, "the master key is empty (LITELLM_MASTER_KEY: the auth pool's master-key Secret)")
	} else if !strings.HasPrefix(c.MasterKey, KeyPrefix) {
		problems = append(problems, "the master key does not start with "+KeyPrefix+" (LiteLLM requires it)")
	}
	switch {
	case c.Key == "":
		problems = append(problems, "the virtual key is empty (the agent's key Secret)")
	case !strings.HasPrefix(c.Key, KeyPrefix):
		problems = append(problems, "the virtual key does not start with "+KeyPrefix+" (LiteLLM refuses custom keys without it)")
	case len(c.Key) < minKeyLen:
		problems = append(problems, fmt.Sprintf("the virtual key is shorter than %d characters", minKeyLen))
	case strings.ContainsAny(c.Key, " \t\r\n"):
		problems = append(problems, "the virtual key contains white space")
	}
	if c.Key != "" && c.Key == c.MasterKey {
		problems = append(problems, "the virtual key equals the master key")
	}
	if strings.TrimSpace(c.Alias) == "" {
		problems = append(problems, "the key alias is empty")
	}
	if len(c.Models) == 0 {
		problems = append(problems, "the model allowlist is empty (LiteLLM would allow every model)")
	}
	for _, m := range c.Models {
		if strings.TrimSpace(m) == "" {
			problems = append(problems, "the model allowlist has an empty name")
			break
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.ReadyInterval <= 0 {
		c.ReadyInterval = DefaultReadyInterval
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Attempts <= 0 {
		c.Attempts = DefaultAttempts
	}
	if c.Backoff <= 0 {
		c.Backoff = DefaultBackoff
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// keyBody is the body of /key/generate and /key/update.
type keyBody struct {
	Key      string            `json:"key"`
	KeyAlias string            `json:"key_alias"`
	Models   []string          `json:"models"`
	Metadata map[string]string `json:"metadata"`
}

// Register makes LiteLLM hold cfg.Key with cfg.Alias, cfg.Models and cfg.Metadata.
func Register(ctx context.Context, cfg Config) (Outcome, error) {
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("invalid input: %w", err)
	}
	cfg = cfg.withDefaults()
	base, _ := AdminBase(cfg.URL)
	c := &client{cfg: cfg, base: base}
	models := dedupe(cfg.Models)
	body := keyBody{Key: cfg.Key, KeyAlias: cfg.Alias, Models: models, Metadata: cfg.Metadata}
	if body.Metadata == nil {
		body.Metadata = map[string]string{}
	}

	if cfg.ReadyTimeout > 0 {
		if err := c.waitReady(ctx); err != nil {
			return "", err
		}
	}

	c.logf("registering key %q with models %s", cfg.Alias, quoteList(models))
	outcome, err := c.ensure(ctx, body)
	if err != nil {
		return "", err
	}
	got, err := c.info(ctx)
	if err != nil {
		return "", err
	}
	if !got.matches(cfg.Alias, models) && outcome == Created {
		// A generate whose key value LiteLLM already holds (under another alias) answers
		// 200 without writing anything (BerriAI/litellm#20494): set the declared state.
		c.logf("LiteLLM holds the key with alias %q and models %s, not what was generated: updating it", got.Alias, quoteList(got.Models))
		if _, err := c.call(ctx, http.MethodPost, "/key/update", body).success("update the key"); err != nil {
			return "", err
		}
		outcome = Updated
		if got, err = c.info(ctx); err != nil {
			return "", err
		}
	}
	if !got.matches(cfg.Alias, models) {
		return "", fmt.Errorf("after %s, LiteLLM reports the key with alias %q and models %s; want alias %q and models %s",
			outcome, got.Alias, quoteList(got.Models), cfg.Alias, quoteList(models))
	}
	c.logf("key %q %s: models %s", cfg.Alias, outcome, quoteList(models))
	return outcome, nil
}

// ensure creates or updates the key (steps 2 to 4 of the package documentation).
func (c *client) ensure(ctx context.Context, body keyBody) (Outcome, error) {
	gen := c.call(ctx, http.MethodPost, "/key/generate", body)
	if gen.err == nil && gen.ok() {
		return Created, nil
	}
	if gen.err != nil || !gen.alreadyExists() {
		_, err := gen.success("generate the key")
		return "", err
	}
	c.logf("LiteLLM: %s; updating the existing key", gen.message())

	upd := c.call(ctx, http.MethodPost, "/key/update", body)
	if upd.err == nil && upd.ok() {
		return Updated, nil
	}
	if upd.err != nil || upd.status != http.StatusNotFound {
		_, err := upd.success("update the key")
		return "", err
	}
	// The alias exists but this key does not: the alias belongs to the previous value of
	// a rotated key (or to a key made by hand). It is this agent's alias: revoke that key.
	c.logf("the alias %q belongs to another key (the previous value of a rotated key?): deleting that key", body.KeyAlias)
	del := c.call(ctx, http.MethodPost, "/key/delete", map[string][]string{"key_aliases": {body.KeyAlias}})
	if _, err := del.success("delete the key holding alias " + body.KeyAlias); err != nil {
		return "", err
	}
	if _, err := c.call(ctx, http.MethodPost, "/key/generate", body).success("generate the key after deleting the old one"); err != nil {
		return "", err
	}
	return Replaced, nil
}

// keyInfo is what /key/info reports of the key.
type keyInfo struct {
	Alias  string
	Models []string
}

func (k keyInfo) matches(alias string, models []string) bool {
	return k.Alias == alias && sameSet(k.Models, models)
}

// info reads the key back: GET /key/info?key=… → {"key": …, "info": {"key_alias", "models", …}}.
func (c *client) info(ctx context.Context) (keyInfo, error) {
	r := c.call(ctx, http.MethodGet, "/key/info?key="+url.QueryEscape(c.cfg.Key), nil)
	data, err := r.success("read the key back")
	if err != nil {
		return keyInfo{}, err
	}
	var parsed struct {
		Info *struct {
			KeyAlias *string  `json:"key_alias"`
			Models   []string `json:"models"`
		} `json:"info"`
	}
	if err := decodeJSON(data, &parsed); err != nil || parsed.Info == nil {
		return keyInfo{}, fmt.Errorf("GET /key/info: unexpected answer (want {\"info\": {\"key_alias\", \"models\"}}): %s", c.redact(truncate(string(data))))
	}
	out := keyInfo{Models: parsed.Info.Models}
	if parsed.Info.KeyAlias != nil {
		out.Alias = *parsed.Info.KeyAlias
	}
	return out, nil
}

// waitReady polls GET /health/readiness (no auth) until it answers 200.
func (c *client) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(c.cfg.ReadyTimeout)
	var last string
	lastLog := time.Time{}
	for {
		status, detail := c.probe(ctx)
		if status == http.StatusOK {
			c.logf("LiteLLM at %s is ready", c.base)
			return nil
		}
		last = detail
		if time.Since(lastLog) >= time.Minute {
			c.logf("waiting for LiteLLM at %s to be ready (%s); on a first deployment it starts once a ChatGPT account is logged in", c.base, last)
			lastLog = time.Now()
		}
		if !time.Now().Add(c.cfg.ReadyInterval).Before(deadline) {
			return fmt.Errorf("LiteLLM at %s was not ready within %s (last: %s)", c.base, c.cfg.ReadyTimeout, last)
		}
		if err := sleep(ctx, c.cfg.ReadyInterval); err != nil {
			return fmt.Errorf("waiting for LiteLLM: %w", err)
		}
	}
}

func (c *client) probe(ctx context.Context) (int, string) {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, c.base+"/health/readiness", nil)
	if err != nil {
		return 0, err.Error()
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, c.describe(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, fmt.Sprintf("GET /health/readiness answered %d: %s", resp.StatusCode, c.redact(truncate(messageOf(data))))
}

func (c *client) logf(format string, args ...any) {
	fmt.Fprintf(c.cfg.Log, "litellm-key-registrar: "+format+"\n", args...)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(dedupe(a)), slices.Clone(dedupe(b))
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
