package resource

import (
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// advance moves the synctest bubble's fake clock forward by d.
func advance(d time.Duration) { <-time.After(d) }

// TestCriticalDelayScenario runs the critical-delay scenario with simulated
// 10 µs cleanups on the bubble's fake clock, where the outcome is exact: the
// seed's single worker takes requests in arrival order, so the Critical one
// starts after the whole burst; ours starts it as soon as a worker frees.
func TestCriticalDelayScenario(t *testing.T) {
	const (
		burst = 200
		work  = 10 * time.Microsecond
	)
	tests := []struct {
		impl     Impl
		min, max time.Duration
	}{
		{impl: SeedImpl(), min: (burst - 1) * work, max: burst * work},
		{impl: OursImpl(LeaksOff), min: 0, max: work},
		{impl: OursImpl(LeaksDefault), min: 0, max: work},
	}
	for _, tt := range tests {
		t.Run("impl="+tt.impl.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				res, err := CriticalDelay(tt.impl, DelayConfig{Burst: burst, Do: func() { advance(work) }})
				if err != nil {
					t.Fatalf("CriticalDelay: %v", err)
				}
				if res.Delay < tt.min || res.Delay > tt.max {
					t.Errorf("critical delay = %v, want in [%v, %v]", res.Delay, tt.min, tt.max)
				}
				if res.Drain < res.Delay {
					t.Errorf("drain %v < delay %v", res.Drain, res.Delay)
				}
			})
		})
	}
}

// TestCriticalDelayBusyWait runs the real scenario, small: every cleanup must
// run, and the seed must make the Critical cleanup wait longer than ours.
func TestCriticalDelayBusyWait(t *testing.T) {
	cfg := DelayConfig{Burst: 5000, Work: 10 * time.Microsecond, Timeout: time.Minute}
	got := map[string]time.Duration{}
	for _, impl := range Impls() {
		res, err := CriticalDelay(impl, cfg)
		if err != nil {
			t.Fatalf("%s: CriticalDelay: %v", impl.Name, err)
		}
		if res.Delay <= 0 || res.Drain < res.Delay {
			t.Errorf("%s: delay %v, drain %v: want 0 < delay <= drain", impl.Name, res.Delay, res.Drain)
		}
		got[impl.Name] = res.Delay
	}
	for _, name := range []string{"ours", "ours-noleaks"} {
		if got[name] >= got["seed"] {
			t.Errorf("critical delay: %s %v >= seed %v", name, got[name], got["seed"])
		}
	}
}

func TestThroughputRunsOps(t *testing.T) {
	for _, impl := range Impls() {
		for _, goroutines := range []int{1, 4} {
			res, err := Throughput(impl, goroutines, 5*time.Millisecond)
			if err != nil {
				t.Fatalf("%s/%d: Throughput: %v", impl.Name, goroutines, err)
			}
			if res.Ops <= 0 || res.NsPerOp() <= 0 || res.Elapsed <= 0 {
				t.Errorf("%s/%d: ops %d, %v ns/op, elapsed %v: want all > 0",
					impl.Name, goroutines, res.Ops, res.NsPerOp(), res.Elapsed)
			}
		}
	}
}

// TestSeedIdleLoop counts the seed worker's idle polls over one second of
// the bubble's fake clock: 100, one per 10 ms.
func TestSeedIdleLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSeedRegistry()
		defer s.Close()
		if err := s.Hold(); err != nil {
			t.Fatalf("Hold: %v", err)
		}
		synctest.Wait()
		before := s.idleWakeups()
		advance(time.Second)
		synctest.Wait()
		if got := s.idleWakeups() - before; got < 99 || got > 101 {
			t.Errorf("seed idle wake-ups in 1s = %d, want 100", got)
		}
	})
}

func TestContextSwitches(t *testing.T) {
	a, err := ContextSwitches()
	if errors.Is(err, ErrNoProcStat) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("ContextSwitches: %v", err)
	}
	// Block on a timer channel so this goroutine's thread is likely to sleep
	// and be switched out at least once.
	<-time.After(5 * time.Millisecond)
	b, err := ContextSwitches()
	if err != nil {
		t.Fatalf("ContextSwitches: %v", err)
	}
	if a <= 0 || b < a {
		t.Errorf("context switches: %d then %d, want 0 < first <= second", a, b)
	}
}

// TestIdleWakeupsReal measures a short real window. Only the seed's own loop
// count is checked, loosely: a 10 ms poll gives at most about 20 in 200 ms,
// fewer when a loaded machine fires timers late (the exact 100 a second is
// TestSeedIdleLoop's, on a fake clock); the process-wide switch counts are
// too noisy under -race on a shared machine to bound.
func TestIdleWakeupsReal(t *testing.T) {
	if _, err := ContextSwitches(); err != nil {
		t.Skip(err)
	}
	const window = 200 * time.Millisecond
	for _, impl := range Impls() {
		res, err := IdleWakeups(impl, window, 10)
		if err != nil {
			t.Fatalf("%s: IdleWakeups: %v", impl.Name, err)
		}
		if res.Switches < 0 {
			t.Errorf("%s: switches = %d, want >= 0", impl.Name, res.Switches)
		}
		switch impl.Name {
		case "seed":
			if res.LoopWakeups < 1 || res.LoopWakeups > 21 {
				t.Errorf("seed: loop wake-ups in %v = %d, want 1 to 21", window, res.LoopWakeups)
			}
			if res.Goroutines != 1 {
				t.Errorf("seed: idle goroutines = %d, want 1 (its polling worker)", res.Goroutines)
			}
		default:
			if res.LoopWakeups != -1 {
				t.Errorf("%s: loop wake-ups = %d, want -1 (no poll loop)", impl.Name, res.LoopWakeups)
			}
			if res.Goroutines != 0 {
				t.Errorf("%s: idle goroutines = %d, want 0 (workers exit when idle)", impl.Name, res.Goroutines)
			}
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{name: "empty", xs: nil, want: 0},
		{name: "one", xs: []float64{3}, want: 3},
		{name: "odd", xs: []float64{5, 1, 3}, want: 3},
		{name: "even", xs: []float64{4, 1, 3, 2}, want: 2.5},
	}
	for _, tt := range tests {
		if got := Median(tt.xs); got != tt.want {
			t.Errorf("%s: Median(%v) = %v, want %v", tt.name, tt.xs, got, tt.want)
		}
	}
}

func TestQuiesceDrainsCleanups(t *testing.T) {
	ran := make(chan struct{}, 100)
	for range 100 {
		p := new([64]byte)
		runtime.AddCleanup(p, func(ch chan struct{}) { ch <- struct{}{} }, ran)
	}
	if !quiesce(10 * time.Second) {
		t.Fatal("quiesce: the cleanup queue did not drain")
	}
	if got := len(ran); got != 100 {
		t.Errorf("cleanups run after quiesce = %d, want 100", got)
	}
}
