package resource

import (
	"context"

	"github.com/patinox/memory/pressure"
)

// reclaimShare is the share of the bytes held by Reclaimable resources that
// one pressure notification at Moderate and High asks Reclaim to free;
// Critical reclaims everything reclaimable, sized or not.
var reclaimShare = [...]float64{
	pressure.Moderate: 0.10,
	pressure.High:     0.50,
}

// reclaimSteps is how many Reclaim calls a budget is split into, so that a
// level that drops mid-way stops the reclaiming early.
const reclaimSteps = 4

// watchPressure subscribes the registry to mon. The callback runs on the
// monitor's subscriber goroutine, never under a registry lock.
func (r *Registry) watchPressure(mon *pressure.Monitor) {
	r.unwatch = mon.Subscribe(func(l pressure.Level) { r.relieve(mon, l) })
}

// relieve reclaims, cheapest candidates first (Reclaim's order: expired,
// then Low to High, least recently used, largest): everything at Critical;
// at Moderate and High the level's share of the reclaimable bytes, in steps,
// until the share is spent, the level falls below l, nothing is left, or
// the registry starts shutting down. At High and Critical it then gives
// back the memory its own structures kept after a past burst (shrink.go).
func (r *Registry) relieve(mon *pressure.Monitor, l pressure.Level) {
	if Phase(r.phase.Load()) != PhaseRunning {
		return
	}
	if l >= pressure.High {
		defer r.compact() // afterwards, so that what Reclaim frees goes too
	}
	switch {
	case l == pressure.Critical:
		r.reclaimFor(0) // 0: every candidate
		return
	case l <= pressure.Normal || int(l) >= len(reclaimShare):
		return
	}
	// A zero budget (no sized reclaimable bytes) reclaims nothing: passed
	// to Reclaim it would mean everything.
	budget := int64(float64(r.reclaimableBytes()) * reclaimShare[l])
	step := max(budget/reclaimSteps, 1)
	for spent := int64(0); spent < budget; {
		if Phase(r.phase.Load()) != PhaseRunning || mon.Level() < l {
			return
		}
		n := r.reclaimFor(min(step, budget-spent))
		if n <= 0 {
			return
		}
		spent += n
	}
}

// reclaimFor runs Reclaim for the pressure reaction and reports what it
// freed. Failed cleanups are already in Failures and events; a failure
// event here also covers ReclaimWith failures, which leave the resource live.
func (r *Registry) reclaimFor(bytes int64) int64 {
	n, err := r.Reclaim(context.Background(), bytes)
	if err != nil && r.obs != nil {
		r.obs.Observe(r.registryEvent(CleanupFailed, err))
	}
	return n
}

// reclaimableBytes is the size of every live Reclaimable resource that
// Reclaim could free.
func (r *Registry) reclaimableBytes() int64 {
	var total int64
	for _, c := range r.reclaimCandidates() {
		total += c.e.size.Load()
	}
	return total
}
