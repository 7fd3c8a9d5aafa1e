// Package pressuretest holds test helpers for code that reacts to
// github.com/patinox/memory/pressure: a [pressure.Monitor] whose level only
// the test changes, with [pressure.Monitor.Set].
//
// It does not import package testing: helpers take the small TestingT
// interface, which *testing.T and *testing.B satisfy, so importing this
// package never drags testing into a production build.
//
// A test of a component's reaction to memory pressure:
//
//	func TestShrinksUnderPressure(t *testing.T) {
//		synctest.Test(t, func(t *testing.T) {
//			mon := pressuretest.Manual(t)
//			c, _ := cache.New(&cache.Options[string, []byte]{MaxEntries: 1000, Pressure: mon})
//			defer c.Close()
//			// ... fill c ...
//			mon.Set(pressure.High)
//			synctest.Wait() // the cache has evicted down to half its bound
//			// ... check c.Len() ...
//		})
//	}
//
// # Caveats
//
// The monitor still polls the Go runtime once per interval (against a limit
// of 2^50 bytes it never reaches); under testing/synctest that poll runs on
// the bubble's fake clock. Delivery to subscribers is asynchronous: after
// Set, wait for the reaction (synctest.Wait, or a channel) before checking.
package pressuretest

import (
	"time"

	"github.com/patinox/memory/pressure"
)

// TestingT is the part of *testing.T that Manual uses.
type TestingT interface {
	Helper()
	Fatalf(format string, args ...any)
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
