package pressure_test

import (
	"runtime"
	"testing"
	"weak"

	"github.com/patinox/memory/pressure"
)

// component stands for what subscribes to a monitor: a cache, a pool.
type component struct {
	buf   []byte
	level pressure.Level
}

func gone[T any](w weak.Pointer[T]) bool {
	for range 3 {
		runtime.GC()
	}
	return w.Value() == nil
}

func newMonitor(t *testing.T, o *pressure.Options) *pressure.Monitor {
	t.Helper()
	mon, err := pressure.NewMonitor(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Close() })
	return mon
}

// quiet is a monitor that stays at Normal unless Set.
var quiet = &pressure.Options{Limit: 1 << 50, Disable: pressure.SourcePSI | pressure.SourceCgroup}

// subscribe subscribes a new component to mon and returns a weak pointer
// to it and the stop func.
func subscribe(mon *pressure.Monitor) (weak.Pointer[component], func()) {
	c := &component{buf: make([]byte, 1<<10)}
	stop := mon.Subscribe(func(l pressure.Level) { c.level = l })
	return weak.Make(c), stop
}

// TestEndedSubscriptionIsCollected: a subscriber whose subscription was
// stopped is not kept reachable by the monitor, which lives as long as the
// process.
func TestEndedSubscriptionIsCollected(t *testing.T) {
	mon := newMonitor(t, quiet)
	w, stop := subscribe(mon)
	stop()
	if !gone(w) {
		t.Error("a subscriber is still reachable after its stop")
	}
	if got := mon.Level(); got != pressure.Normal {
		t.Errorf("Level() = %v, want normal", got)
	}
}

// TestClosedMonitorReleasesSubscribers: Close ends every subscription, so
// the subscribers' callbacks (and the components they close over) are
// not kept reachable by a closed monitor that something still points to,
// such as a registry's or another component's Options.
func TestClosedMonitorReleasesSubscribers(t *testing.T) {
	mon := newMonitor(t, quiet)
	w, _ := subscribe(mon) // a component that holds its stop func, dropped after Close
	mustOK(t, mon.Close())
	if !gone(w) {
		t.Error("a subscriber of a closed monitor is still reachable from it")
	}
	runtime.KeepAlive(mon)
}

// TestClosedMonitorIsCollected: a closed monitor, with all its sources
// open (PSI and cgroup where this machine has them) and subscribers left
// subscribed, can be collected: its goroutines are gone.
func TestClosedMonitorIsCollected(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    *pressure.Options
	}{
		{"quiet", quiet},
		{"all sources", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := func() weak.Pointer[pressure.Monitor] {
				mon, err := pressure.NewMonitor(tt.o)
				mustOK(t, err)
				subscribe(mon)
				mustOK(t, mon.Set(pressure.High))
				mustOK(t, mon.Close())
				return weak.Make(mon)
			}()
			if !gone(w) {
				t.Error("a closed monitor is still reachable")
			}
		})
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
