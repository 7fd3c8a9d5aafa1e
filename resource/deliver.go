package resource

import (
	"context"
	"sync"
)

// This file makes ShutdownDone the last event. A release on a caller's
// goroutine (Release, Guard.Release, Detach, ReleaseMatching, Reclaim)
// takes its resource out of the live table before it reports the end to
// the observer; a Shutdown that begins in between does not see the
// resource, and would send ShutdownDone before that report. So each shard
// counts the reports still on their way (shard.delivering: raised under the
// shard's lock before the resource leaves the table, lowered once the
// observer has returned), and Shutdown waits, bounded by its ctx, until
// every count is zero. Only a registry with an Observer counts. A Reclaim
// counts from before its claim to after its Reclaimed event; the call of a
// ReclaimWith function is not counted (it may run long, or call Shutdown),
// so its Reclaimed event may follow ShutdownDone, as may the CleanupFailed
// event the pressure reaction sends after a failed Reclaim.

// deliveries wakes a Shutdown waiting for the reports in flight.
type deliveries struct {
	mu   sync.Mutex    // protects following fields
	idle chan struct{} // closed when a count falls to zero; nil: nobody waits
}

// delivered lowers sh's count of reports in flight, waking a waiting
// Shutdown when it falls to zero. Called with no lock held.
func (r *Registry) delivered(sh *shard) {
	if sh.delivering.Add(-1) != 0 || Phase(r.phase.Load()) == PhaseRunning {
		return // not the last one, or no Shutdown yet (its check comes after its phase change)
	}
	d := &r.deliveries
	d.mu.Lock()
	if d.idle != nil {
		close(d.idle)
		d.idle = nil
	}
	d.mu.Unlock()
}

// awaitDeliveries waits until no shard has a report in flight, or ctx ends.
// Shutdown calls it after changing the phase (so that delivered wakes it)
// and after every resource it saw has finished.
func (r *Registry) awaitDeliveries(ctx context.Context) {
	if r.obs == nil {
		return
	}
	d := &r.deliveries
	for {
		d.mu.Lock()
		if d.idle == nil {
			d.idle = make(chan struct{})
		}
		idle := d.idle
		d.mu.Unlock()
		if !r.delivering() {
			return
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return
		}
	}
}

// delivering reports whether a shard has a report in flight.
func (r *Registry) delivering() bool {
	for i := range r.shards {
		if r.shards[i].delivering.Load() != 0 {
			return true
		}
	}
	return false
}
