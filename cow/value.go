package cow

import (
	"sync"
	"sync/atomic"
)

// box holds one published value; it is never modified after publication.
type box[T any] struct{ v T }

// Value is a copy-on-write value: readers Load the current value without
// locks or allocation, writers Update a private clone and publish it
// atomically.
//
// A Value must be made by New: the zero Value is not ready for use (its Load
// panics), which keeps Load a single atomic load with no branch. All methods
// are safe for concurrent use. A published value is shared by every reader:
// callers must treat what Load returns as immutable (for maps, slices and
// pointers, change them only through Update, which gives a clone).
type Value[T any] struct {
	p     atomic.Pointer[box[T]]
	clone func(T) T
	stats counters

	mu sync.Mutex // serializes writers; protects the publication order
}

// New returns a Value holding v. clone must return a copy of its argument
// that shares nothing mutable with it (a deep copy for maps, slices and
// pointers); nil means assignment, which is enough for pointer-free T.
func New[T any](v T, clone func(T) T) *Value[T] {
	cv := &Value[T]{clone: clone}
	cv.p.Store(&box[T]{v: v})
	return cv
}

// Load returns the current value. It never blocks and never allocates. The
// Update that published the value Load returns synchronizes before that
// Load returns (the sync/atomic memory-model guarantee).
func (cv *Value[T]) Load() T {
	return cv.p.Load().v
}

// Update clones the current value, calls fn with the clone, and publishes
// what fn returns unless fn returns an error (or panics), in which case
// nothing is published and the error is returned. Writers are serialized:
// fn runs under the Value's writer lock, so fn sees every earlier Update's
// result and no Update is lost; fn must not call Update on the same Value
// (deadlock) and should be short. Loads are never blocked by it.
func (cv *Value[T]) Update(fn func(T) (T, error)) error {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	next, err := applyClone(cv.Load(), cv.clone, fn, &cv.stats)
	if err != nil {
		return err
	}
	cv.p.Store(&box[T]{v: next})
	cv.stats.writes.Add(1)
	return nil
}

// Stats returns the Value's counters: Writes, FailedUpdates, Clones.
func (cv *Value[T]) Stats() Stats { return cv.stats.snapshot() }

// applyClone clones cur, applies fn, and counts the outcome; a panic in fn
// counts as a failed update and keeps panicking.
func applyClone[T any](cur T, clone func(T) T, fn func(T) (T, error), c *counters) (next T, err error) {
	if clone != nil {
		cur = clone(cur)
		c.clones.Add(1)
	}
	ok := false
	defer func() {
		if !ok {
			c.failed.Add(1)
		}
	}()
	next, err = fn(cur)
	ok = err == nil
	return next, err
}
