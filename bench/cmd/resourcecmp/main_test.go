package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunTiny runs every measurement at a tiny size and checks the tables
// come out complete.
func TestRunTiny(t *testing.T) {
	var out bytes.Buffer
	c := config{runs: 1, duration: 5 * time.Millisecond, burst: 300, work: 10 * time.Microsecond,
		window: 50 * time.Millisecond, held: 5, only: "a,b,c"}
	if err := run(&out, c); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"(a) Track+Release", "seed ÷ ours-noleaks", "process CPU ns/op", "(b) Critical cleanup queued behind 300",
		"seed delay ÷ impl delay", "(c) idle registry", "poll-loop wake-ups/s", "none (no poll loop)", "baseline",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestRunRejectsZeroRuns(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, config{runs: 0, only: "a"}); err == nil {
		t.Error("run with -runs 0: nil error, want one")
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		a, b float64
		want string
	}{
		{a: 300, b: 150, want: "2.00×"},
		{a: 1.7e9, b: 3.4e4, want: "50000×"},
		{a: 5, b: 0, want: "∞"},
		{a: 0, b: 0, want: "-"},
	}
	for _, tt := range tests {
		if got := ratio(tt.a, tt.b); got != tt.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
