package resource

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// Cleanup-queue metrics of the runtime (runtime.AddCleanup callbacks).
const (
	metricCleanupsQueued   = "/gc/cleanups/queued:cleanups"
	metricCleanupsExecuted = "/gc/cleanups/executed:cleanups"
)

// quiesce collects garbage and waits, up to timeout, until the runtime has
// run every cleanup function it queued, so that work left over by one
// measurement (our leak detector's safety net registers one cleanup per
// Guard) does not run during the next one. It reports whether the queue
// drained.
func quiesce(timeout time.Duration) bool {
	runtime.GC()
	samples := []metrics.Sample{{Name: metricCleanupsQueued}, {Name: metricCleanupsExecuted}}
	deadline := time.Now().Add(timeout)
	for {
		metrics.Read(samples)
		if samples[0].Value.Kind() != metrics.KindUint64 || samples[1].Value.Kind() != metrics.KindUint64 {
			return false // metrics not supported by this runtime
		}
		if samples[1].Value.Uint64() >= samples[0].Value.Uint64() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}
