package resource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
)

// ReleaseMatching releases, on the caller's goroutine, every live resource
// for which match returns true, running their real cleanups (each after
// its own live dependents, which are released too even if they do not
// match). It stops early when ctx ends. The result joins every failure
// (*CleanupError) and ctx's error if it ended. match is called without any
// registry lock held; a nil match is an error.
func (r *Registry) ReleaseMatching(ctx context.Context, match func(Info) bool) error {
	if match == nil {
		return errors.New("resource: ReleaseMatching: nil match")
	}
	if r == nil { // holds nothing
		return nil
	}
	var errs []error
	for _, c := range r.liveInfos() {
		if !match(c.info) {
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		e := c.e
		if !e.claimInc(c.inc, rsExplicit, stRunning) {
			continue
		}
		if err := r.releaseClaimed(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Reclaim frees memory by releasing Reclaimable resources (or calling their
// ReclaimWith function, which shrinks them and leaves them live) until at
// least bytes have been freed; bytes <= 0 means every candidate. Freed bytes
// are a released resource's WithSize, or what ReclaimWith returned (a
// negative count is an error naming the resource, and counts as 0).
//
// With a byte target (bytes > 0), a Reclaimable resource whose size is 0
// (no WithSize, or SetSize(0)) is not released: it frees nothing Reclaim
// can count, so releasing it would not bring the target closer (the
// unweighted values of a cache would all be dropped first, for nothing).
// Only Reclaim(ctx, 0) (and memory pressure at Critical) releases it. A
// ReclaimWith function is called whatever the size: it reports what it
// freed.
//
// Order: resources past their TTL or idle timeout first, then by priority
// Low, Normal, High (Critical is never reclaimed); within one priority the
// least recently used (oldest last Touch, else oldest; registration times
// are kept to a millisecond) first, then the largest, then the first
// registered. A candidate with live dependents is skipped (releasing it would
// release them too). Cleanups run on the caller's goroutine; Reclaim stops
// when ctx ends. err joins every failure and ctx's error.
func (r *Registry) Reclaim(ctx context.Context, bytes int64) (freed int64, err error) {
	if r == nil { // holds nothing
		return 0, nil
	}
	var errs []error
	for _, c := range r.reclaimCandidates() {
		if bytes > 0 && freed >= bytes {
			break
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		n, err := r.reclaimOne(ctx, c.e, bytes > 0)
		freed += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return freed, errors.Join(errs...)
}

type candidate struct {
	e       *entry
	expired bool
	used    int64
}

func (r *Registry) reclaimCandidates() []candidate {
	now := r.now()
	var cs []candidate
	// Reclaimable entries have options (e.x), so they are never recycled
	// and may be read outside the shard lock.
	for _, e := range r.collect((*entry).reclaimable) {
		if e.st() != stLive || e.priority() == Critical || e.hasLiveDependents() {
			continue
		}
		c := candidate{e: e, used: e.born}
		if e.x.idle > 0 {
			c.used = e.x.touched.Load()
		}
		c.expired = e.timed() && e.expiryDue() <= now
		cs = append(cs, c)
	}
	slices.SortFunc(cs, compareCandidates)
	return cs
}

func compareCandidates(a, b candidate) int {
	switch {
	case a.expired != b.expired:
		if a.expired {
			return -1
		}
		return 1
	case a.e.prio != b.e.prio:
		return int(a.e.prio) - int(b.e.prio)
	case a.used != b.used:
		if a.used < b.used {
			return -1
		}
		return 1
	case a.e.size.Load() != b.e.size.Load():
		if a.e.size.Load() > b.e.size.Load() {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.e.seq, b.e.seq)
}

// reclaimOne reclaims e: calls its ReclaimWith function, or releases it
// unless sized is set and e's size is 0 (see Reclaim).
func (r *Registry) reclaimOne(ctx context.Context, e *entry, sized bool) (int64, error) {
	if fn := e.x.reclaim; fn != nil {
		if e.st() != stLive { // released since the candidates were taken
			return 0, nil
		}
		n, err := callReclaim(ctx, fn)
		if n < 0 { // a bug in fn: counted as nothing, not subtracted
			err = errors.Join(err, fmt.Errorf("ReclaimWith function returned %d bytes freed, want >= 0", n))
			n = 0
		}
		if err != nil {
			return n, fmt.Errorf("resource %v: reclaim: %w", e.id, err)
		}
		r.noteReclaimed(e, n)
		return n, nil
	}
	if sized && e.size.Load() == 0 {
		return 0, nil
	}
	if r.obs != nil { // Shutdown waits for the Reclaimed event too (deliver.go)
		sh := r.shardOf(e.id)
		sh.delivering.Add(1)
		defer r.delivered(sh)
	}
	if !e.claim(rsReclaim, stRunning) {
		return 0, nil
	}
	size := e.size.Load()
	if err := r.releaseClaimed(ctx, e); err != nil {
		return 0, err
	}
	r.noteReclaimed(e, size) // only now: a failed cleanup freed nothing
	return size, nil
}

func (r *Registry) noteReclaimed(e *entry, n int64) {
	r.shardOf(e.id).c.reclaimed.Add(1)
	if r.obs != nil {
		ev := r.event(Reclaimed, e, 0, nil)
		ev.Size = n
		r.obs.Observe(ev)
	}
}

func callReclaim(ctx context.Context, fn func(context.Context) (int64, error)) (n int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p}
		}
	}()
	return fn(ctx)
}

// liveRef is a live entry seen under its shard's lock: its incarnation and
// its Info as they were then.
type liveRef struct {
	e    *entry
	inc  uint32
	info Info
}

// liveInfos returns every live entry with its Info, taken under the shard
// locks.
func (r *Registry) liveInfos() []liveRef {
	var out []liveRef
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for j := range sh.t.slots {
			if e := sh.t.slots[j].e; e != nil && e.st() == stLive {
				out = append(out, liveRef{e: e, inc: e.inc, info: r.info(e)})
			}
		}
		sh.mu.Unlock()
	}
	return out
}

// collect returns the entries for which keep, called under the shard's
// lock, reports true.
func (r *Registry) collect(keep func(*entry) bool) []*entry {
	var out []*entry
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for j := range sh.t.slots {
			if e := sh.t.slots[j].e; e != nil && keep(e) {
				out = append(out, e)
			}
		}
		sh.mu.Unlock()
	}
	return out
}
