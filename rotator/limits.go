package rotator

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A 429 from ChatGPT is one of two things: the account's plan usage limit (it resets after
// hours, or days for the weekly limit) or a short rate limit. They are told apart by the
// error text, which for the usage limit carries codex's "usage_limit_reached" error type
// and usually when the limit resets.

var usageLimitMarkers = []string{
	"usage_limit_reached",
	"usage limit",
	"usage_limit",
	"usage_not_included", // the plan does not include codex use: retrying soon cannot help
}

// isUsageLimit reports whether an error text describes a plan usage limit rather than a
// transient rate limit.
func isUsageLimit(text string) bool {
	t := strings.ToLower(text)
	for _, m := range usageLimitMarkers {
		if strings.Contains(t, m) {
			return true
		}
	}
	return false
}

var (
	resetsAtRE        = regexp.MustCompile(`resets_at\W{0,4}(\d{9,11})`)
	resetsInSecondsRE = regexp.MustCompile(`resets_in_seconds\W{0,4}(\d{1,9})`)
)

// Bounds on a reset time read from an error text: a garbled or hostile value must neither
// unpark an account at once nor park it for a month.
const (
	minLimitPark = time.Minute
	maxLimitPark = 8 * 24 * time.Hour
)

// usageLimitReset reads when a usage limit resets from the error text (ChatGPT's
// usage_limit_reached error carries resets_at, unix seconds, and resets_in_seconds).
func usageLimitReset(text string, now time.Time) (time.Time, bool) {
	var at time.Time
	if m := resetsAtRE.FindStringSubmatch(text); m != nil {
		if s, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			at = time.Unix(s, 0)
		}
	} else if m := resetsInSecondsRE.FindStringSubmatch(text); m != nil {
		if s, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			at = now.Add(time.Duration(s) * time.Second)
		}
	}
	if at.IsZero() {
		return time.Time{}, false
	}
	if d := at.Sub(now); d < minLimitPark {
		at = now.Add(minLimitPark)
	} else if d > maxLimitPark {
		at = now.Add(maxLimitPark)
	}
	return at, true
}

// limitPark returns until when a 429 with this text parks an account, and whether it is a
// usage limit.
func (c Config) limitPark(text string, now time.Time) (until time.Time, usage bool) {
	if !isUsageLimit(text) {
		return now.Add(c.TransientPark), false
	}
	if at, ok := usageLimitReset(text, now); ok {
		return at, true
	}
	return now.Add(c.UsageLimitPark), true
}
