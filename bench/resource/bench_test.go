package resource

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkTrackRelease measures one Track plus one Release per operation,
// seed and ours side by side, at 1, 2 and 64 goroutines (issue 2, (a)).
// goroutines=1 is a plain loop; more use RunParallel with the parallelism
// that gives that many goroutines (the name says how many really ran).
// cpu-ns/op is the process's CPU time per operation (GC and runtime
// cleanups included), steadier than ns/op on a shared machine.
func BenchmarkTrackRelease(b *testing.B) {
	for _, impl := range Impls() {
		for _, want := range []int{1, 2, 64} {
			p, got := parallelism(want)
			b.Run(fmt.Sprintf("impl=%s/goroutines=%d", impl.Name, got), func(b *testing.B) {
				r, err := impl.New()
				if err != nil {
					b.Fatal(err)
				}
				defer func() {
					if err := r.Close(); err != nil {
						b.Error(err)
					}
				}()
				quiesce(10 * time.Second) // leftovers of the previous sub-benchmark
				b.ReportAllocs()
				cpu0, cpuOK := processCPU()
				if got == 1 {
					for b.Loop() {
						if err := r.TrackRelease(); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.SetParallelism(p)
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := r.TrackRelease(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				if cpu1, _ := processCPU(); cpuOK {
					b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}

// parallelism returns the SetParallelism value that gives about want
// goroutines under RunParallel, and how many goroutines that really is.
func parallelism(want int) (p, got int) {
	procs := runtime.GOMAXPROCS(0)
	if want <= 1 {
		return 1, 1
	}
	p = max(1, want/procs)
	return p, p * procs
}

// BenchmarkCriticalDelay queues a Critical cleanup behind 100 000 Low
// cleanups of 10 µs of busy work and reports how long it waited to start
// (ns/critical-delay) and how long the whole burst took to drain
// (ns/drain); ns/op is the whole scenario including setup (issue 2, (b)).
func BenchmarkCriticalDelay(b *testing.B) {
	for _, impl := range Impls() {
		b.Run("impl="+impl.Name, func(b *testing.B) {
			var delay, drain time.Duration
			n := 0
			for b.Loop() {
				res, err := CriticalDelay(impl, DelayConfig{})
				if err != nil {
					b.Fatal(err)
				}
				delay += res.Delay
				drain += res.Drain
				n++
			}
			b.ReportMetric(float64(delay.Nanoseconds())/float64(n), "ns/critical-delay")
			b.ReportMetric(float64(drain.Nanoseconds())/float64(n), "ns/drain")
		})
	}
}

// BenchmarkIdleWakeups keeps an idle registry (100 live resources, nothing
// due) for one second per operation and reports the process's context
// switches per second above a baseline taken with no registry
// (switches/s), the goroutines the idle registry keeps (idle-goroutines),
// and for the seed its poll loop's wake-ups (polls/s) (issue 2, (c)).
func BenchmarkIdleWakeups(b *testing.B) {
	const window = time.Second
	base, err := BaselineWakeups(window)
	if err != nil {
		b.Skip(err)
	}
	for _, impl := range Impls() {
		b.Run("impl="+impl.Name, func(b *testing.B) {
			var switches, polls int64
			n, goroutines := 0, 0
			for b.Loop() {
				res, err := IdleWakeups(impl, window, 100)
				if err != nil {
					b.Fatal(err)
				}
				switches += res.Switches - base.Switches
				polls += res.LoopWakeups
				goroutines += res.Goroutines
				n++
			}
			b.ReportMetric(float64(goroutines)/float64(n), "idle-goroutines")
			b.ReportMetric(float64(switches)/float64(n)/window.Seconds(), "switches/s")
			if polls >= 0 {
				b.ReportMetric(float64(polls)/float64(n)/window.Seconds(), "polls/s")
			}
		})
	}
}
