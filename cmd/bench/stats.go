package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Summary is what the bench reports of one variant's runs: median, min and max. The
// machine is shared and noisy, so comparisons use medians.
type Summary struct {
	Runs   int     `json:"runs"`
	Median float64 `json:"median"` // seconds
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Summarize computes the summary of a set of durations (no runs: the zero Summary).
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := make([]float64, len(ds))
	for i, d := range ds {
		s[i] = d.Seconds()
	}
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Summary{Runs: len(s), Median: med, Min: s[0], Max: s[len(s)-1]}
}

// Ratio is a/b of two medians, NaN when either is missing.
func Ratio(a, b Summary) float64 {
	if a.Runs == 0 || b.Runs == 0 || b.Median == 0 {
		return math.NaN()
	}
	return a.Median / b.Median
}

// String renders "median (min–max)" in seconds.
func (s Summary) String() string {
	if s.Runs == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%s–%s)", secs(s.Median), secs(s.Min), secs(s.Max))
}

func secs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f s", v)
	case v >= 10:
		return fmt.Sprintf("%.1f s", v)
	default:
		return fmt.Sprintf("%.2f s", v)
	}
}

// fmtRatio renders a ratio with two decimals and "–" for a missing one.
func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", r)
}
