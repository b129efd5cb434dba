package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The setup creates hundreds of Deployments and Jobs, and the controller manager goes on
// creating their ReplicaSets and Pods for a minute or more; timing rounds while it does
// put up to 40 % of noise on the N=100 figures. Before the rounds the bench waits until the
// machine's CPUs have been mostly idle for one sampling window, or gives up after maxWait
// and says so.
const (
	quietBusy   = 0.25 // busy fraction of all CPUs below which the machine counts as quiet
	quietWindow = 3 * time.Second
	quietMax    = 2 * time.Minute
)

// cpuTimes is the aggregate "cpu" line of /proc/stat: busy and total jiffies.
type cpuTimes struct{ busy, total uint64 }

// parseCPUTimes reads the first ("cpu") line of /proc/stat. Idle and iowait count as idle.
func parseCPUTimes(stat string) (cpuTimes, error) {
	line, _, _ := strings.Cut(stat, "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return cpuTimes{}, fmt.Errorf("unexpected /proc/stat first line %q", line)
	}
	var t cpuTimes
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("/proc/stat field %d %q: %w", i+1, f, err)
		}
		t.total += v
		if i != 3 && i != 4 { // idle, iowait
			t.busy += v
		}
	}
	return t, nil
}

// busyFraction is the share of CPU time spent busy between two samples.
func busyFraction(a, b cpuTimes) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total)
}

func readCPUTimes() (cpuTimes, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTimes{}, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	if !s.Scan() {
		return cpuTimes{}, fmt.Errorf("/proc/stat is empty")
	}
	return parseCPUTimes(s.Text())
}

// waitForQuiet returns once a quietWindow passes with the CPUs below quietBusy, or after
// quietMax; it reports how long it waited and the last busy fraction. Without /proc/stat
// (not Linux) it does not wait.
func waitForQuiet(ctx context.Context) (time.Duration, float64, error) {
	start := time.Now()
	prev, err := readCPUTimes()
	if err != nil {
		return 0, 0, nil
	}
	for {
		select {
		case <-ctx.Done():
			return time.Since(start), 0, ctx.Err()
		case <-time.After(quietWindow):
		}
		cur, err := readCPUTimes()
		if err != nil {
			return time.Since(start), 0, err
		}
		busy := busyFraction(prev, cur)
		if busy < quietBusy || time.Since(start) >= quietMax {
			return time.Since(start), busy, nil
		}
		prev = cur
	}
}
