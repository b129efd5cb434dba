package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseCPUTimes(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	got, err := parseCPUTimes("cpu  100 5 50 800 40 0 5 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
	require.NoError(t, err)
	require.Equal(t, cpuTimes{busy: 160, total: 1000}, got)

	_, err = parseCPUTimes("intr 1 2 3")
	require.ErrorContains(t, err, "unexpected /proc/stat first line")
	_, err = parseCPUTimes("cpu  1 2 x 4 5")
	require.ErrorContains(t, err, `field 3 "x"`)
}

func TestBusyFraction(t *testing.T) {
	require.InDelta(t, 0.25, busyFraction(cpuTimes{busy: 100, total: 1000}, cpuTimes{busy: 150, total: 1200}), 1e-9)
	require.Zero(t, busyFraction(cpuTimes{busy: 5, total: 10}, cpuTimes{busy: 5, total: 10}), "no time passed")
}
