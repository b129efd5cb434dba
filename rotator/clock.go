package rotator

import "time"

// Clock is the rotator's only source of time, so tests can decide what "now" is for token
// expiry, parking and the rotation interval.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
