package cow

import "sync"

// Locked is a value guarded by a read-write lock, for state that is changed
// in place too often to copy (the alternative to Value when clones are
// expensive and writes frequent). Callbacks run under the lock: they must
// be short and must not call back into the same Locked.
//
// The zero Locked holds the zero T and is ready to use; a Locked must not be
// copied after first use. All methods are safe for concurrent use.
type Locked[T any] struct {
	stats counters

	mu sync.RWMutex // protects following fields
	v  T
}

// NewLocked returns a Locked holding v.
func NewLocked[T any](v T) *Locked[T] { return &Locked[T]{v: v} }

// Read calls fn with the value under the read lock; readers run in
// parallel. fn must not keep references into the value after it returns.
func (l *Locked[T]) Read(fn func(T)) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	fn(l.v)
}

// Write calls fn with a pointer to the value under the write lock.
func (l *Locked[T]) Write(fn func(*T)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.writes.Add(1)
	fn(&l.v)
}

// TryRead calls fn like Read if the read lock is free now, and reports
// whether it did.
func (l *Locked[T]) TryRead(fn func(T)) bool {
	if !l.mu.TryRLock() {
		l.stats.tryFailed.Add(1)
		return false
	}
	defer l.mu.RUnlock()
	fn(l.v)
	return true
}

// TryWrite calls fn like Write if the write lock is free now, and reports
// whether it did.
func (l *Locked[T]) TryWrite(fn func(*T)) bool {
	if !l.mu.TryLock() {
		l.stats.tryFailed.Add(1)
		return false
	}
	defer l.mu.Unlock()
	l.stats.writes.Add(1)
	fn(&l.v)
	return true
}

// Stats returns the Locked's counters: Writes, TryFailed.
func (l *Locked[T]) Stats() Stats { return l.stats.snapshot() }
