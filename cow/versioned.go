package cow

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"
)

// Snapshot is one published value of a Versioned and its version.
type Snapshot[T any] struct {
	Value   T      // the published value: shared, treat it as immutable
	Version uint64 // 1 for NewVersioned's value, +1 for every publication
}

// vbox is one published version. changed is closed when a newer version
// replaces it, which is how watchers wait without a goroutine each.
type vbox[T any] struct {
	Snapshot[T]
	changed chan struct{}
}

// Versioned is a copy-on-write value with a version number and watchers.
// Every publication (Store, successful Update) increments the version by
// one, so a watcher can tell how many versions it skipped.
//
// A Versioned must be made by NewVersioned (the zero Versioned is not ready
// for use). All methods are safe for concurrent use; values returned by Load
// and Watch are shared and must be treated as immutable.
type Versioned[T any] struct {
	p     atomic.Pointer[vbox[T]]
	clone func(T) T
	stats counters

	mu sync.Mutex // serializes writers; protects the publication order
}

// NewVersioned returns a Versioned holding v at version 1. clone is as for
// New.
func NewVersioned[T any](v T, clone func(T) T) *Versioned[T] {
	vv := &Versioned[T]{clone: clone}
	vv.p.Store(&vbox[T]{Snapshot: Snapshot[T]{Value: v, Version: 1}, changed: make(chan struct{})})
	return vv
}

// Load returns the current value and its version. It never blocks and never
// allocates.
func (vv *Versioned[T]) Load() (T, uint64) {
	b := vv.p.Load()
	return b.Value, b.Version
}

// Store publishes v (without cloning) and returns its version.
func (vv *Versioned[T]) Store(v T) uint64 {
	vv.mu.Lock()
	defer vv.mu.Unlock()
	return vv.publishLocked(v)
}

// Update is Value.Update with versions: it returns the new version, or the
// current one and fn's error when nothing was published. fn runs under the
// writer lock and must not call Store or Update on the same Versioned.
func (vv *Versioned[T]) Update(fn func(T) (T, error)) (uint64, error) {
	vv.mu.Lock()
	defer vv.mu.Unlock()
	cur := vv.p.Load()
	next, err := applyClone(cur.Value, vv.clone, fn, &vv.stats)
	if err != nil {
		return cur.Version, err
	}
	return vv.publishLocked(next), nil
}

// publishLocked installs v as the next version and wakes the watchers of
// the previous one.
func (vv *Versioned[T]) publishLocked(v T) uint64 {
	old := vv.p.Load()
	next := &vbox[T]{Snapshot: Snapshot[T]{Value: v, Version: old.Version + 1}, changed: make(chan struct{})}
	vv.p.Store(next)
	close(old.changed)
	vv.stats.writes.Add(1)
	return next.Version
}

// Watch returns a sequence of snapshots: the current one first, then the
// newest one each time the value changes. Latest wins: a slow consumer
// never blocks writers and never misses the newest version, but versions
// published while it was busy are skipped (the Version numbers show the
// gap). The sequence ends when ctx is done or the loop breaks. It starts
// no goroutine: iteration waits on a channel that the next publication
// closes, so nothing outlives the loop. Any number of watchers may run; the
// sequence may be iterated more than once, each time from the current value.
func (vv *Versioned[T]) Watch(ctx context.Context) iter.Seq[Snapshot[T]] {
	return func(yield func(Snapshot[T]) bool) {
		var last uint64
		for first := true; ctx.Err() == nil; first = false {
			b := vv.p.Load()
			if first || b.Version != last {
				if !first {
					vv.stats.skipped.Add(b.Version - last - 1)
				}
				vv.stats.delivered.Add(1)
				if !yield(b.Snapshot) {
					return
				}
				last = b.Version
			}
			select {
			case <-ctx.Done():
				return
			case <-b.changed:
			}
		}
	}
}

// Stats returns the Versioned's counters: Writes, FailedUpdates, Clones,
// Delivered, Skipped.
func (vv *Versioned[T]) Stats() Stats { return vv.stats.snapshot() }
