package keyregistrar

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// client sends LiteLLM key API requests with the master key, retrying what LiteLLM could
// not answer.
type client struct {
	cfg  Config
	base string
}

// result is the outcome of one API call after its retries.
type result struct {
	op     string // "POST /key/generate"
	status int
	body   []byte
	err    error // transport error or timeout of the last attempt
	c      *client
}

func (r result) ok() bool { return r.status >= 200 && r.status < 300 }

// alreadyExists recognises LiteLLM's answers to a generate of an existing key: the unique
// alias check (400 "Key with alias '…' already exists. Unique key aliases across all keys
// are required."), a duplicate key value (a unique-constraint error, or "already exists"),
// or a 409.
func (r result) alreadyExists() bool {
	if r.status == http.StatusConflict {
		return true
	}
	if r.status != http.StatusBadRequest {
		return false
	}
	m := strings.ToLower(r.message())
	return strings.Contains(m, "already exists") || strings.Contains(m, "unique constraint")
}

// message is LiteLLM's error message, masked.
func (r result) message() string {
	return r.c.redact(truncate(messageOf(r.body)))
}

// success returns the body of a 2xx answer, else an error with LiteLLM's answer.
func (r result) success(what string) ([]byte, error) {
	if r.err != nil {
		return nil, fmt.Errorf("%s (%s): LiteLLM did not answer after %d attempts: %s", what, r.op, r.c.cfg.Attempts, r.c.describe(r.err))
	}
	if r.ok() {
		return r.body, nil
	}
	msg := fmt.Sprintf("%s (%s): LiteLLM answered %d %s: %s", what, r.op, r.status, http.StatusText(r.status), r.message())
	switch {
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		msg += " (is LITELLM_MASTER_KEY, from the auth pool's master-key Secret, the master key LiteLLM runs with?)"
	case r.status >= 500 || r.status == http.StatusTooManyRequests:
		msg += fmt.Sprintf(" (still failing after %d attempts)", r.c.cfg.Attempts)
	}
	return nil, errors.New(msg)
}

// call sends one request, retrying transport errors, timeouts, 429 and 5xx up to
// cfg.Attempts times with a doubling delay.
func (c *client) call(ctx context.Context, method, path string, body any) result {
	op := method + " " + strings.SplitN(path, "?", 2)[0]
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return result{op: op, err: err, c: c}
		}
	}
	delay := c.cfg.Backoff
	var r result
	for attempt := 1; ; attempt++ {
		r = c.once(ctx, method, path, payload)
		r.op, r.c = op, c
		retryable := r.err != nil || r.status == http.StatusTooManyRequests || r.status >= 500
		if !retryable || attempt >= c.cfg.Attempts || ctx.Err() != nil {
			return r
		}
		why := ""
		if r.err != nil {
			why = c.describe(r.err)
		} else {
			why = fmt.Sprintf("LiteLLM answered %d: %s", r.status, r.message())
		}
		c.logf("%s: %s; retrying in %s (attempt %d of %d)", op, why, delay, attempt+1, c.cfg.Attempts)
		if err := sleep(ctx, delay); err != nil {
			r.err = err
			return r
		}
		delay = min(delay*2, maxBackoff)
	}
}

func (c *client) once(ctx context.Context, method, path string, payload []byte) result {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	var reader io.Reader
	if payload != nil {
		reader = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(rctx, method, c.base+path, reader)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.MasterKey)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return result{err: err}
	}
	return result{status: resp.StatusCode, body: data}
}

// redact masks the key and the master key wherever they appear in s.
func (c *client) redact(s string) string {
	for _, secret := range []string{c.cfg.Key, c.cfg.MasterKey, url.QueryEscape(c.cfg.Key)} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "<redacted>")
		}
	}
	return s
}

// messageOf extracts LiteLLM's error message from an answer: {"error": {"message": …}}
// (its ProxyException), {"detail": …} (FastAPI), else the body itself.
func messageOf(body []byte) string {
	var parsed struct {
		Error  json.RawMessage `json:"error"`
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &parsed) == nil {
		for _, raw := range []json.RawMessage{parsed.Error, parsed.Detail} {
			if len(raw) == 0 {
				continue
			}
			var obj struct {
				Message any `json:"message"`
				Error   any `json:"error"`
			}
			if json.Unmarshal(raw, &obj) == nil {
				for _, v := range []any{obj.Message, obj.Error} {
					if s, ok := v.(string); ok && s != "" {
						return s
					}
				}
			}
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				return s
			}
			return string(raw)
		}
	}
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "(empty answer)"
	}
	return s
}

// truncate keeps log lines readable when LiteLLM answers with a page of HTML or a trace.
func truncate(s string) string {
	const limit = 2000
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

func decodeJSON(data []byte, v any) error {
	return json.Unmarshal(data, v)
}

// describe names timeouts plainly and masks the keys (a transport error quotes the URL,
// and /key/info carries the key in its query).
func (c *client) describe(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timed out: " + c.redact(err.Error())
	}
	return c.redact(err.Error())
}
