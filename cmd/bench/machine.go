package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Machine describes where the figures were taken: they mean little without it.
type Machine struct {
	Date       string `json:"date"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpuModel"`
	MemTotal   string `json:"memTotal"`
	Go         string `json:"go"`
	Pulumi     string `json:"pulumi"`
	Kubernetes string `json:"kubernetes"`
	Provider   string `json:"kubernetesProvider"`
	Commit     string `json:"commit"`
	// GOGC and ProgramCache are the two run settings that move the figures most.
	GOGC         string `json:"gogc"`
	ProgramCache string `json:"programCache"`
	LoadBefore   string `json:"loadBefore"`
	LoadAfter    string `json:"loadAfter"`
}

func describeMachine(pulumiBin, root string) Machine {
	m := Machine{
		Date:         time.Now().UTC().Format(time.RFC3339),
		CPUs:         runtime.NumCPU(),
		CPUModel:     procField("/proc/cpuinfo", "model name"),
		MemTotal:     procField("/proc/meminfo", "MemTotal"),
		Go:           runtime.Version(),
		Kubernetes:   os.Getenv("KUBERNETES_VERSION"),
		Provider:     os.Getenv("KUBERNETES_PROVIDER_VERSION"),
		LoadBefore:   loadAvg(),
		GOGC:         envOr("GOGC", "100 (Go's default)"),
		ProgramCache: envOr("CLOUD_CODEX_PROGRAM_CACHE", "off"),
	}
	if out, err := exec.Command(pulumiBin, "version").Output(); err == nil {
		m.Pulumi = strings.TrimSpace(string(out))
	}
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// Summary is a one-line description for the log.
func (m Machine) Summary() string {
	return fmt.Sprintf("%d CPUs (%s), %s, %s, pulumi %s, GOGC %s, program cache %s, load %s",
		m.CPUs, m.CPUModel, m.MemTotal, m.Go, m.Pulumi, m.GOGC, m.ProgramCache, m.LoadBefore)
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadAvg is the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
