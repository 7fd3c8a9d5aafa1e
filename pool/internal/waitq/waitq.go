// Package waitq is a FIFO queue of waiters, each waiting on its own
// one-slot channel, in the style of golang.org/x/sync/semaphore.
//
// Strict FIFO prevents starvation: a waiter is served only after every waiter
// that queued before it, so a stream of late arrivals can never overtake an
// early one. The owner grants a value to the head waiter by sending it on the
// waiter's channel while the owner's lock is held; because the channel has one
// slot and a waiter is granted at most once, a grant never blocks.
//
// A grant can race the waiter giving up (its context ends). The waiter settles
// the race under the owner's lock: if Remove reports that it was still queued,
// nothing was granted; otherwise a grant is already in its channel (it was sent
// under the lock) and the waiter must receive it and hand it back to the owner,
// so nothing granted is ever lost.
//
// A Queue is not safe for concurrent use: every method except Waiter.C,
// Waiter.Since and Recycle must be called with the owner's lock held.
package waitq

import (
	"sync"
	"time"
)

// Waiter is one queued waiter. Its channel receives exactly one value per
// time it is granted.
type Waiter[V any] struct {
	c          chan V
	prev, next *Waiter[V]
	queued     bool

	// Since is when the waiter was enqueued (set by the owner, if needed).
	Since time.Time
	// FailFast marks a waiter that wants to hear about a failure that would
	// otherwise only make it wait longer (the owner decides what that means).
	FailFast bool
}

// Queued reports whether w is still in its queue (call with the owner's lock).
func (w *Waiter[V]) Queued() bool { return w.queued }

// C returns the channel on which the waiter's grant arrives.
func (w *Waiter[V]) C() <-chan V { return w.c }

// Queue is a FIFO queue of waiters. The zero value is an empty queue.
type Queue[V any] struct {
	head, tail *Waiter[V]
	n          int
	free       sync.Pool // of *Waiter[V] with empty channels
}

// Len returns the number of queued waiters.
func (q *Queue[V]) Len() int { return q.n }

// Enqueue appends a new waiter at the tail and returns it.
func (q *Queue[V]) Enqueue() *Waiter[V] {
	w, _ := q.free.Get().(*Waiter[V])
	if w == nil {
		w = &Waiter[V]{c: make(chan V, 1)}
	}
	w.queued = true
	w.prev = q.tail
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
	q.n++
	return w
}

// Front returns the head waiter, or nil.
func (q *Queue[V]) Front() *Waiter[V] { return q.head }

// Grant removes the head waiter and sends v to it. It reports false, and does
// nothing, when the queue is empty.
func (q *Queue[V]) Grant(v V) (*Waiter[V], bool) {
	w := q.head
	if w == nil {
		return nil, false
	}
	q.unlink(w)
	w.c <- v // one slot, granted once: never blocks
	return w, true
}

// GrantTo removes w, which must be queued, and sends v to it.
func (q *Queue[V]) GrantTo(w *Waiter[V], v V) {
	q.unlink(w)
	w.c <- v
}

// Take removes the head waiter and returns it, or nil. The owner must then
// call Send on it exactly once, and may do so after releasing its lock (a
// taken waiter that gives up finds itself unqueued and waits for the Send).
// Sending outside the lock keeps the wake-up of the waiter, which may need a
// system call, out of the owner's critical section.
func (q *Queue[V]) Take() *Waiter[V] {
	w := q.head
	if w != nil {
		q.unlink(w)
	}
	return w
}

// Send delivers v to a waiter removed by Take. It never blocks.
func (w *Waiter[V]) Send(v V) { w.c <- v }

// Remove removes w from the queue and reports whether it was still queued.
// False means w has been granted a value that is (or will be, once the
// owner's lock is released) in its channel.
func (q *Queue[V]) Remove(w *Waiter[V]) bool {
	if !w.queued {
		return false
	}
	q.unlink(w)
	return true
}

func (q *Queue[V]) unlink(w *Waiter[V]) {
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	q.n--
}

// Recycle makes w available for reuse by Enqueue. The caller must have
// received its grant (or removed it unqueued) and must not touch w again.
// Recycle is safe for concurrent use.
func (q *Queue[V]) Recycle(w *Waiter[V]) {
	w.Since, w.FailFast = time.Time{}, false
	q.free.Put(w)
}
