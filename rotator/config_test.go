package rotator

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no accounts in rotation"},
		{Config{Accounts: []int{0}}, "start at 1"},
		{Config{Accounts: []int{1, 1}}, "listed twice"},
		{Config{Accounts: []int{1, 2}, Reserved: []int{2}}, "account 2 is listed twice (--accounts and --reserved)"},
		{Config{Accounts: []int{1}, TransientPark: -time.Hour}, "transient park is negative"},
		{Config{Accounts: []int{1}, UsageLimitPark: -5 * time.Hour}, "usage-limit park is negative"},
	}
	for _, tc := range cases {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if err := (Config{Accounts: []int{1, 2}, Reserved: []int{3}}).Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestRunRejectsAnIntervalBelow30m(t *testing.T) {
	e := newEnv(t)
	e.cfg.Interval = 10 * time.Minute
	err := Run(t.Context(), e.cfg, "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "below the 30m0s minimum") || !strings.Contains(err.Error(), "invalidated") {
		t.Fatalf("Run with a 10m interval = %v, want a refusal that says why", err)
	}
}

func TestParseAccountList(t *testing.T) {
	got, err := ParseAccountList(" 1, 2 ,3")
	if err != nil || FormatAccountList(got) != "1,2,3" {
		t.Errorf("ParseAccountList = %v, %v", got, err)
	}
	if got, err := ParseAccountList(""); err != nil || len(got) != 0 {
		t.Errorf("empty list = %v, %v", got, err)
	}
	if _, err := ParseAccountList("1,x"); err == nil {
		t.Errorf("ParseAccountList(1,x) accepted")
	}
}

func TestRoundRobinOrder(t *testing.T) {
	r := &Rotator{cfg: Config{Accounts: []int{4, 1, 7}}}
	for active, want := range map[int]string{0: "4,1,7", 4: "1,7", 1: "7,4", 7: "4,1"} {
		if got := FormatAccountList(r.nextAfter(active)); got != want {
			t.Errorf("nextAfter(%d) = %s, want %s", active, got, want)
		}
	}
}
