package resource

import (
	"context"

	"github.com/patinox/memory/pressure"
)

// reclaimShare is the share of the bytes held by Reclaimable resources that
// one pressure notification at each level asks Reclaim to free.
var reclaimShare = [...]float64{
	pressure.Normal:   0,
	pressure.Moderate: 0.10,
	pressure.High:     0.50,
	pressure.Critical: 1,
}

// reclaimSteps is how many Reclaim calls a budget is split into, so that a
// level that drops mid-way stops the reclaiming early.
const reclaimSteps = 4

// watchPressure subscribes the registry to mon. The callback runs on the
// monitor's subscriber goroutine, never under a registry lock.
func (r *Registry) watchPressure(mon *pressure.Monitor) {
	r.unwatch = mon.Subscribe(func(l pressure.Level) { r.relieve(mon, l) })
}

// relieve reclaims the level's share of the reclaimable bytes, cheapest
// candidates first (Reclaim's order: expired, then Low to High, least
// recently used, largest), until the share is spent, the level falls below
// l, nothing is left, or the registry starts shutting down.
func (r *Registry) relieve(mon *pressure.Monitor, l pressure.Level) {
	if l <= pressure.Normal || int(l) >= len(reclaimShare) {
		return
	}
	budget := int64(float64(r.reclaimableBytes()) * reclaimShare[l])
	switch {
	case l == pressure.Critical:
		budget = 0 // everything reclaimable, sized or not
	case budget <= 0:
		return // nothing sized to reclaim: Reclaim(ctx, 0) would take everything
	}
	step := max(budget/reclaimSteps, 1)
	for spent := int64(0); budget <= 0 || spent < budget; {
		if Phase(r.phase.Load()) != PhaseRunning || mon.Level() < l {
			return
		}
		want := min(step, budget-spent)
		if budget <= 0 {
			want = 0
		}
		n, err := r.Reclaim(context.Background(), want)
		if err != nil && r.obs != nil {
			// Failed cleanups are already in Failures and events; this also
			// reports ReclaimWith failures, which leave the resource live.
			r.obs.Observe(r.registryEvent(CleanupFailed, err))
		}
		if n <= 0 || budget <= 0 {
			return
		}
		spent += n
	}
}

// reclaimableBytes is the size of every live Reclaimable resource that
// Reclaim could free.
func (r *Registry) reclaimableBytes() int64 {
	var total int64
	for _, c := range r.reclaimCandidates() {
		total += c.e.size
	}
	return total
}
