package resource

import (
	"errors"
	"runtime"
	"time"
)

// ErrNoProcStat reports that per-thread context-switch counters are not
// available on this system.
var ErrNoProcStat = errors.New("bench/resource: /proc/self/task/*/status not available")

// WakeupResult is the outcome of one idle wake-up window.
type WakeupResult struct {
	Window time.Duration
	// Switches is the growth of the process's context switches (voluntary
	// and involuntary, summed over its threads) during the window.
	Switches int64
	// LoopWakeups is the growth of the implementation's own count of idle
	// poll wake-ups, or -1 when it has none (ours has no poll loop).
	LoopWakeups int64
	// Goroutines is how many goroutines the idle registry keeps alive: the
	// process's goroutine count with the settled registry minus the count
	// just before it was created.
	Goroutines int
}

// PerSecond returns x per second of the window.
func (w WakeupResult) PerSecond(x int64) float64 {
	if w.Window <= 0 {
		return 0
	}
	return float64(x) / w.Window.Seconds()
}

// settle is how long a measurement lets the process quiet down (GC, workers
// parking) before its window opens.
const settle = 50 * time.Millisecond

// BaselineWakeups measures the process's context switches over window with
// no registry alive, to subtract from [IdleWakeups]. Run it with nothing else
// active in the process.
func BaselineWakeups(window time.Duration) (WakeupResult, error) {
	quiesce(10 * time.Second)
	time.Sleep(settle)
	sw, err := switchesDuring(window, func() {})
	return WakeupResult{Window: window, Switches: sw, LoopWakeups: -1}, err
}

// IdleWakeups creates a registry of impl, registers held resources that stay
// live (nothing is due: ours gives each a TTL of an hour and an idle timeout
// of half an hour, the seed has neither), lets it settle, and counts
// wake-ups during window: the process's context switches and, for the seed,
// its poll loop's idle wake-ups. It also reports how many goroutines the
// idle registry keeps.
func IdleWakeups(impl Impl, window time.Duration, held int) (WakeupResult, error) {
	quiesce(10 * time.Second)
	time.Sleep(settle) // let goroutines of earlier measurements exit
	g0 := runtime.NumGoroutine()
	r, err := impl.New()
	if err != nil {
		return WakeupResult{}, err
	}
	res, err := idleWakeups(r, window, held, g0)
	if cerr := r.Close(); err == nil {
		err = closeErr(impl.Name, cerr)
	}
	return res, err
}

type loopCounter interface{ idleWakeups() uint64 }

func idleWakeups(r Registry, window time.Duration, held, g0 int) (WakeupResult, error) {
	for range held {
		if err := r.Hold(); err != nil {
			return WakeupResult{}, err
		}
	}
	quiesce(10 * time.Second)
	time.Sleep(settle)
	res := WakeupResult{Window: window, LoopWakeups: -1, Goroutines: runtime.NumGoroutine() - g0}
	lc, hasLoop := r.(loopCounter)
	var loop0 uint64
	if hasLoop {
		loop0 = lc.idleWakeups()
	}
	sw, err := switchesDuring(window, func() {
		if hasLoop {
			res.LoopWakeups = int64(lc.idleWakeups() - loop0)
		}
	})
	res.Switches = sw
	return res, err
}

// switchesDuring sleeps for window and returns the growth of the process's
// context switches; at the end of the window, before reading the counters
// again, it calls atEnd.
func switchesDuring(window time.Duration, atEnd func()) (int64, error) {
	before, err := ContextSwitches()
	if err != nil {
		return 0, err
	}
	time.Sleep(window)
	atEnd()
	after, err := ContextSwitches()
	if err != nil {
		return 0, err
	}
	return after - before, nil
}
