package rotator

import (
	"strconv"
	"testing"
	"time"
)

func TestLimitPark(t *testing.T) {
	cfg := Config{}.withDefaults()
	now := t0
	cases := []struct {
		text      string
		wantUsage bool
		wantFor   time.Duration
	}{
		{"Rate limit reached for requests", false, DefaultTransientPark},
		{`{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached"}}`, true, DefaultUsageLimitPark},
		{"You've hit your usage limit. Upgrade to Pro", true, DefaultUsageLimitPark},
		{`{"error":{"type":"usage_limit_reached","resets_in_seconds":5400}}`, true, 90 * time.Minute},
		{`{"error":{"type":"usage_limit_reached","resets_at":` + strconv.FormatInt(now.Add(26*time.Hour).Unix(), 10) + `}}`, true, 26 * time.Hour},
		{`usage_limit_reached resets_in_seconds: 3`, true, minLimitPark},
		{`usage_limit_reached "resets_in_seconds": 99999999`, true, maxLimitPark},
		{`usage_limit_reached "resets_at": 1000000000`, true, minLimitPark}, // in the past
	}
	for _, tc := range cases {
		until, usage := cfg.limitPark(tc.text, now)
		if usage != tc.wantUsage || until.Sub(now) != tc.wantFor {
			t.Errorf("limitPark(%q) = %s, usage %v; want %s, usage %v", tc.text, until.Sub(now), usage, tc.wantFor, tc.wantUsage)
		}
	}
}
