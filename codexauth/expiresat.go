package codexauth

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// lenientExpiresAt reads a flat file's expires_at the way LiteLLM does (float(expires_at)):
// an integer, a float or a numeric string. It returns whole unix seconds, rounded down so
// the token never looks longer-lived than it is, or 0 when the value is missing, null, not
// a number or not a believable time. 0 means "unknown": the caller falls back on the
// access token's exp, and the file still counts as holding its tokens.
func lenientExpiresAt(raw json.RawMessage) int64 {
	if len(raw) == 0 {
		return 0
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		if v, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return 0
		}
	}
	if math.IsNaN(v) || v <= 0 || v > maxExp {
		return 0
	}
	return int64(math.Floor(v))
}
