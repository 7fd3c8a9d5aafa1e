package pressuretest_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/pressure/pressuretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestManualMovesOnlyWithSet: the monitor starts at Normal, stays there
// while it polls for an hour, takes and keeps the levels the test sets,
// and delivers them to subscribers.
func TestManualMovesOnlyWithSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		var mu sync.Mutex
		var seen []pressure.Level
		stop := mon.Subscribe(func(l pressure.Level) { mu.Lock(); seen = append(seen, l); mu.Unlock() })
		defer stop()
		advance(time.Hour) // an hour of polls
		if got := mon.Level(); got != pressure.Normal {
			t.Fatalf("after an hour of polls the level is %v, want Normal", got)
		}
		if err := mon.Set(pressure.High); err != nil {
			t.Fatal(err)
		}
		advance(30 * time.Minute) // less than the calm period
		if got := mon.Level(); got != pressure.High {
			t.Fatalf("30 minutes after Set(High) the level is %v, want High (calm is an hour)", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || seen[len(seen)-1] != pressure.High {
			t.Fatalf("subscriber saw %v, want High last", seen)
		}
	})
}

// advance moves the bubble's fake clock by d and lets the monitor's polls
// and deliveries run.
func advance(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}

// fakeT records what Manual does with its TestingT.
type fakeT struct {
	cleanups []func()
	failed   string
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Fatalf(format string, _ ...any) { f.failed = format }
func (f *fakeT) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }

// TestManualClosesAtCleanup: the monitor is closed by the cleanup Manual
// registers (its goroutines end: goleak checks), and Set then fails.
func TestManualClosesAtCleanup(t *testing.T) {
	var f fakeT
	mon := pressuretest.Manual(&f)
	if f.failed != "" || len(f.cleanups) != 1 {
		t.Fatalf("Manual failed %q and registered %d cleanups, want none and 1", f.failed, len(f.cleanups))
	}
	f.cleanups[0]()
	if err := mon.Set(pressure.High); err == nil {
		t.Fatal("Set after the cleanup succeeded, want pressure.ErrClosed")
	}
}
