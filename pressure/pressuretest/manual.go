package pressuretest

import (
	"time"

	"github.com/patinox/memory/pressure"
)

// TestingT is the part of *testing.T (and *testing.B, *testing.F) that
// Manual uses.
type TestingT interface {
	// Helper marks the caller as a test helper, so that failures are
	// reported at the test's line.
	Helper()
	// Fatalf fails the test with a formatted message and stops it; Manual
	// calls it when the monitor cannot be created.
	Fatalf(format string, args ...any)
	// Cleanup registers a function to run when the test ends; Manual
	// registers the monitor's Close.
	Cleanup(func())
}

// Manual returns a running Monitor that no source moves: PSI and cgroup
// are off, and its memory limit (2^50 bytes) is out of reach of the Go
// runtime's heap, so it stays at Normal until the test calls Set. Its
// interval is one second (the least time between deliveries to a
// subscriber) and its calm period one hour, so a level the test set holds
// until the test sets another. It is closed when the test ends; t fails if
// it cannot be created.
func Manual(t TestingT) *pressure.Monitor {
	t.Helper()
	mon, err := pressure.NewMonitor(&pressure.Options{
		Interval: time.Second,
		Calm:     time.Hour,
		Limit:    1 << 50,
		Disable:  pressure.SourcePSI | pressure.SourceCgroup,
	})
	if err != nil {
		t.Fatalf("pressuretest: %v", err)
	}
	t.Cleanup(func() { mon.Close() })
	return mon
}
