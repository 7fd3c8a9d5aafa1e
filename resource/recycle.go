package resource

// Entries of LeaksOff Guards are recycled: Track would otherwise allocate
// one entry per resource, and on the hot path (Track then Release) that
// allocation cost more than everything else together.
//
// The rules that make it safe:
//   - Only an entry whose options need no extra (priority, kind and size
//     only) is handed out from the pool (newEntry), so e.x is nil for every
//     incarnation and never written; it never has timers, dependencies,
//     fallbacks or a leak watch.
//   - Only Guard.Release recycles, after the cleanup succeeded on the
//     Guard's goroutine, while the registry is running, and only if nothing
//     ever linked to the entry (links is nil: no dependent, no waiter). The
//     entry is then in no table, queue, timer heap or link, and its attempt
//     context lives in the Guard, not in the entry.
//   - Each reuse bumps the incarnation in the state word. Code holding an
//     entry it did not claim (a stale Guard, a lookup by ID, a snapshot)
//     claims with claimInc and reads the entry's plain fields only under the
//     shard lock, so it can neither win nor read the next resource.

// plainOptions reports whether opts set only fields kept in the entry
// itself (no extra).
func plainOptions(opts []Option) bool {
	for i := range opts {
		switch opts[i].key {
		case optPriority, optKind, optSize:
		default:
			return false
		}
	}
	return true
}

// newEntry returns an unpublished, live entry for a LeaksOff Guard: a
// recycled one when opts allow it (plainOptions), else a new one.
func (r *Registry) newEntry(opts []Option) *entry {
	if !plainOptions(opts) {
		return &entry{}
	}
	if e, _ := r.free.Get().(*entry); e != nil {
		return e
	}
	return &entry{pooled: true}
}

// recycle puts e, whose release by its Guard just succeeded, back in the
// pool under a new incarnation if the rules above allow it.
func (r *Registry) recycle(e *entry) {
	if !e.pooled || e.links.Load() != nil || r.phase.Load() != int32(PhaseRunning) {
		return
	}
	if e.kind != "" { // skipped when empty: a pointer write costs a write barrier during GC
		e.kind = ""
	}
	// run and ac point into the old Guard: cleared so that the pool does
	// not keep the released value reachable.
	e.size.Store(0)
	e.born, e.run, e.ac = 0, nil, nil
	e.prio, e.reason, e.prepared, e.attempts = 0, 0, false, 0
	e.pending.Store(0)
	e.inc++
	e.setState(stLive)
	r.free.Put(e)
}
