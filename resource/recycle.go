package resource

// Entries of LeaksOff Guards are recycled: Track would otherwise allocate
// one entry per resource, and on the hot path (Track then Release) that
// allocation cost more than everything else together. Each shard keeps a
// short free list under its lock, which Track and finish take anyway.
//
// The rules that make it safe:
//   - Only an entry whose options are plain (priority, kind and size) comes
//     from a free list (insertRecycled), so e.x is nil for every
//     incarnation and never written; it never has timers, dependencies,
//     fallbacks or a leak watch.
//   - Only an entry released through its Guard's Release (e.recycle) that
//     succeeded is recycled, by finish, in the critical section that takes
//     it out of the table, while the registry runs, without an observer
//     (finish emits its end event after taking it out of the table), and
//     only if nothing ever linked to it (links is nil: no dependent, no
//     waiter). Whoever finishes it (the Guard's goroutine, or a worker
//     after a hand-off) touches it no more, and its attempt context lives
//     in the Guard, not in the entry.
//   - Each reuse bumps the incarnation in the state word. Code holding an
//     entry it did not claim (a stale Guard, a lookup by ID, a snapshot)
//     claims with claimInc and reads the entry's plain fields only under the
//     shard lock, so it can neither win nor read the next resource.

// maxFree bounds the recycled entries a shard keeps.
const maxFree = 32

// insertRecycled registers the resource of a LeaksOff Guard whose options
// are plain (p): its entry comes from shard idx's free list, or is new,
// and is set up and published under the shard's lock. It returns the
// entry, its incarnation and ID.
func (r *Registry) insertRecycled(run runner, ac *attemptCtx, p plainOpts, idx uint64) (*entry, uint32, ID, error) {
	born := r.coarseNow() // see clock.go
	sh := &r.shards[idx]
	sh.mu.Lock()
	var e *entry
	if n := len(sh.free); n > 0 {
		// The popped slot is not cleared: it points to an entry the
		// registry keeps anyway, and each pointer write costs a write
		// barrier while the GC marks.
		e = sh.free[n-1]
		sh.free = sh.free[:n-1]
	} else {
		e = &entry{pooled: true, reg: r}
	}
	e.run, e.ac, e.born = run, ac, born
	e.setPlain(p)
	if r.obs != nil { // with an observer no entry is recycled: e is new
		e.setState(stHeld) // until announced (see goLive)
	}
	err := r.addLocked(sh, idx, e) // on failure e is dropped, not put back
	inc, id := e.inc, e.id
	sh.mu.Unlock()
	if err != nil {
		return nil, 0, 0, err
	}
	if r.obs != nil { // only this Guard's Release can recycle e: its fields stay
		r.announceLive(e)
	}
	return e, inc, id, nil
}

// recyclableLocked reports whether e, which its Guard has just released
// successfully and finish has taken out of sh's table, may be recycled: no
// observer will read it (finish emits events after the removal), nothing ever
// linked to it, the registry runs (so no Shutdown snapshot can hold it) and
// sh has room.
func (r *Registry) recyclableLocked(sh *shard, e *entry) bool {
	return r.obs == nil && e.links.Load() == nil && r.phase.Load() == int32(PhaseRunning) && len(sh.free) < maxFree
}

// recycleLocked clears e, gives it a new incarnation (live, unpublished)
// and puts it on sh's free list. Its final state is never stored: nobody
// can wait for it (no links).
func (sh *shard) recycleLocked(e *entry) {
	// The kind stays (setPlain writes it only if the next one differs: a
	// pointer write costs a write barrier while the GC marks); run and ac
	// point into the old Guard: cleared so that the free list does not keep
	// the released value reachable.
	e.size.Store(0)
	e.born, e.run, e.ac = 0, nil, nil
	e.prio, e.reason, e.prepared, e.attempts, e.recycle = 0, 0, false, 0, false
	e.pending.Store(0)
	e.inc++
	e.setState(stLive)
	sh.free = append(sh.free, e)
}
