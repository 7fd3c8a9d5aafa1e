package seed

import (
	"sync"
	"time"
)

// queue emulates tokio's mpsc::unbounded_channel with one receiver: a
// mutex-guarded slice (senders never block, as in the seed) plus a one-slot
// signal channel that wakes the receiver. A buffered Go channel would bound
// the queue (a full channel blocks senders), which the seed's did not; the
// burst measurement queues 100 000 requests, so unboundedness matters.
type queue struct {
	ready chan struct{} // one slot: "items may be waiting"

	mu     sync.Mutex // protects following fields
	items  []Request
	head   int
	closed bool // receiver gone (worker exited) or senders gone (Close)
}

func newQueue() *queue {
	return &queue{ready: make(chan struct{}, 1)}
}

// send appends r; it reports false when the queue is closed (the seed's
// send error once the cleanup task has ended).
func (q *queue) send(r Request) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, r)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

type recvResult int

const (
	received recvResult = iota
	timedOut
	closedEmpty
)

// recv is tokio::time::timeout(d, rx.recv()): it returns an item at once if
// one is queued, otherwise waits for one until d has passed. t is a stopped
// timer owned by the single receiver, reused instead of allocating one per
// call as tokio's timeout did.
func (q *queue) recv(d time.Duration, t *time.Timer) (Request, recvResult) {
	deadline := time.Time{}
	for {
		if r, res, ok := q.tryRecv(); ok {
			return r, res
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(d)
		}
		left := deadline.Sub(now)
		if left <= 0 {
			return Request{}, timedOut
		}
		t.Reset(left)
		select {
		case <-q.ready:
			t.Stop()
		case <-t.C:
			return Request{}, timedOut
		}
	}
}

// tryRecv takes the oldest item; ok is false when none is queued and the
// queue is open.
func (q *queue) tryRecv() (Request, recvResult, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head < len(q.items) {
		r := q.items[q.head]
		q.items[q.head] = Request{}
		q.head++
		if q.head == len(q.items) {
			q.items, q.head = q.items[:0], 0
		}
		return r, received, true
	}
	if q.closed {
		return Request{}, closedEmpty, true
	}
	return Request{}, 0, false
}

// close stops accepting items. Items already queued can still be received.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// discard closes the queue and drops every queued item, returning how many
// were dropped (the seed's receiver being dropped with messages in it).
func (q *queue) discard() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	n := len(q.items) - q.head
	q.items, q.head = nil, 0
	return n
}
