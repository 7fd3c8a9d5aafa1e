package resource

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ThroughputResult is the outcome of one throughput run.
type ThroughputResult struct {
	Ops     int64         // Track+Release pairs completed
	Elapsed time.Duration // wall-clock time of the run
	CPU     time.Duration // CPU time of the whole process during the run; 0 if unknown
	Allocs  uint64        // heap allocations during the run (all goroutines)
}

// CPUNsPerOp is process CPU nanoseconds per Track+Release (garbage
// collection and runtime cleanups included). On a machine shared with other
// work it is steadier than NsPerOp, which also counts the time the process
// waited for a CPU.
func (t ThroughputResult) CPUNsPerOp() float64 {
	if t.Ops == 0 {
		return 0
	}
	return float64(t.CPU.Nanoseconds()) / float64(t.Ops)
}

// NsPerOp is wall-clock nanoseconds per Track+Release, as a Go parallel
// benchmark reports it.
func (t ThroughputResult) NsPerOp() float64 {
	if t.Ops == 0 {
		return 0
	}
	return float64(t.Elapsed.Nanoseconds()) / float64(t.Ops)
}

// AllocsPerOp is heap allocations per Track+Release.
func (t ThroughputResult) AllocsPerOp() float64 {
	if t.Ops == 0 {
		return 0
	}
	return float64(t.Allocs) / float64(t.Ops)
}

// Throughput runs Track+Release in a loop on goroutines goroutines for about
// d on a fresh registry of impl. It is the command's equivalent of
// BenchmarkTrackRelease. Before the run it collects garbage and waits for the
// runtime's cleanup queue to drain, so work left over by an earlier run is
// not charged to this one.
func Throughput(impl Impl, goroutines int, d time.Duration) (ThroughputResult, error) {
	r, err := impl.New()
	if err != nil {
		return ThroughputResult{}, err
	}
	res, err := throughput(r, max(goroutines, 1), d)
	if cerr := r.Close(); err == nil {
		err = closeErr(impl.Name, cerr)
	}
	return res, err
}

func throughput(r Registry, goroutines int, d time.Duration) (ThroughputResult, error) {
	var (
		stop  atomic.Bool
		ops   atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	var before, after runtime.MemStats
	quiesce(10 * time.Second)
	runtime.ReadMemStats(&before)
	cpu0, cpuOK := processCPU()
	start := time.Now()
	for range goroutines {
		wg.Go(func() {
			n := int64(0)
			defer func() { ops.Add(n) }()
			for !stop.Load() {
				for range 64 {
					if err := r.TrackRelease(); err != nil {
						once.Do(func() { first = err })
						stop.Store(true)
						return
					}
					n++
				}
			}
		})
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	runtime.ReadMemStats(&after)
	res := ThroughputResult{Ops: ops.Load(), Elapsed: elapsed, Allocs: after.Mallocs - before.Mallocs}
	if cpuOK {
		res.CPU = cpu1 - cpu0
	}
	return res, first
}
