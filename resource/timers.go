package resource

import (
	"math"
	"sync"
	"time"
)

type timerKind uint8

const (
	tkExpiry timerKind = iota + 1 // TTL or idle timeout of a live entry
	tkRetry                       // backoff before a retry of a claimed entry
)

// timers is the registry's one timer structure: a min-heap of entries by due
// time, driven by a single time.AfterFunc timer armed for the earliest one
// (O(log n) per add or remove; nothing scans the table). When the heap is
// empty the timer is stopped, so an idle registry has no timer armed.
//
// Idle timeouts are lazy: Touch only stores the time (O(1)); when the timer
// fires, the entry's real due time is recomputed and the entry re-added if
// it was touched in between.
type timers struct {
	r  *Registry
	wg sync.WaitGroup // counts running fire callbacks

	mu       sync.Mutex // protects following fields and entry.due, hidx, timer
	h        []*entry
	shrink   gate // when h gives a burst's memory back
	t        *time.Timer
	armed    bool
	armedDue int64
	draining bool // retries are enqueued at once
	stopped  bool
}

// addExpiry puts a live, timed entry in the heap at its next due time.
func (t *timers) addExpiry(e *entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped || t.draining || e.st() != stLive {
		return
	}
	t.pushLocked(e, e.expiryDue(), tkExpiry)
}

// addRetry schedules a retry of e after d; false if the registry is
// draining (the caller then enqueues e at once).
func (t *timers) addRetry(e *entry, d time.Duration) bool {
	due := addSat(t.r.now(), int64(d))
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.draining || t.stopped {
		return false
	}
	t.pushLocked(e, due, tkRetry)
	return true
}

func (t *timers) remove(e *entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.hidx != 0 {
		t.removeLocked(e)
		t.armLocked()
	}
}

// compact shrinks the heap at once if it is mostly empty (Registry.compact).
func (t *timers) compact() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.shrink.now(len(t.h), cap(t.h)); c > 0 {
		t.h = shrunk(t.h, c)
	}
}

// pushLocked puts e in the heap; an entry has at most one slot, so a retry
// replaces a pending expiry.
func (t *timers) pushLocked(e *entry, due int64, k timerKind) {
	if e.hidx != 0 {
		t.removeLocked(e)
	}
	e.due, e.timer = due, k
	t.h = append(t.h, e)
	e.hidx = int32(len(t.h))
	t.up(len(t.h) - 1)
	t.armLocked()
}

// armLocked arms the timer for the earliest due time, or stops it.
func (t *timers) armLocked() {
	if len(t.h) == 0 {
		if t.armed {
			t.t.Stop()
			t.armed = false
		}
		return
	}
	due := t.h[0].due
	if t.armed && t.armedDue == due {
		return
	}
	d := time.Duration(due - t.r.now())
	if t.t == nil {
		t.t = time.AfterFunc(d, t.fire)
	} else {
		t.t.Reset(d)
	}
	t.armed, t.armedDue = true, due
}

// fire runs on the timer's goroutine: it takes every due entry off the
// heap, re-arms, and handles them outside the lock.
func (t *timers) fire() {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	t.wg.Add(1)
	defer t.wg.Done()
	now := t.r.now()
	var due []dueItem
	for len(t.h) > 0 && t.h[0].due <= now {
		e := t.h[0]
		t.removeLocked(e)
		due = append(due, dueItem{e, e.timer})
	}
	t.armed = false
	t.armLocked()
	t.mu.Unlock()
	for _, d := range due {
		t.handle(d.e, d.k, now)
	}
}

type dueItem struct {
	e *entry
	k timerKind
}

func (t *timers) handle(e *entry, k timerKind, now int64) {
	if k == tkRetry {
		t.r.sched.enqueue(e)
		return
	}
	if e.st() != stLive {
		return
	}
	if e.expiryDue() > now {
		t.addExpiry(e) // touched since: wait again
		return
	}
	_ = t.r.releaseAsync(e, e.incOf(), e.id, rsExpired)
}

// drain switches to draining: pending retries are returned (to run now) and
// expiry timers are dropped (Shutdown releases those entries anyway).
func (t *timers) drain() []*entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.draining = true
	var retries []*entry
	for _, e := range t.h {
		e.hidx = 0
		if e.timer == tkRetry {
			retries = append(retries, e)
		}
	}
	t.h = nil
	t.armLocked()
	return retries
}

// stop disarms the timer for good and waits for a running callback.
func (t *timers) stop() {
	t.mu.Lock()
	t.stopped = true
	for _, e := range t.h {
		e.hidx = 0
	}
	t.h = nil
	t.armLocked()
	t.mu.Unlock()
	t.wg.Wait()
}

func (t *timers) removeLocked(e *entry) {
	i := int(e.hidx) - 1
	last := len(t.h) - 1
	if i != last {
		t.swap(i, last)
	}
	t.h[last] = nil
	t.h = t.h[:last]
	if c := t.shrink.removed(len(t.h), cap(t.h)); c > 0 {
		t.h = shrunk(t.h, c) // after a burst (shrink.go)
	}
	e.hidx = 0
	if i != last {
		t.down(i)
		t.up(i)
	}
}

func (t *timers) swap(i, j int) {
	t.h[i], t.h[j] = t.h[j], t.h[i]
	t.h[i].hidx, t.h[j].hidx = int32(i+1), int32(j+1)
}

func (t *timers) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if t.h[p].due <= t.h[i].due {
			return
		}
		t.swap(i, p)
		i = p
	}
}

func (t *timers) down(i int) {
	n := len(t.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && t.h[r].due < t.h[l].due {
			m = r
		}
		if t.h[i].due <= t.h[m].due {
			return
		}
		t.swap(i, m)
		i = m
	}
}

// expiryDue is the registry-clock time at which e expires.
func (e *entry) expiryDue() int64 {
	due := int64(-1)
	if e.x.ttl > 0 {
		due = addSat(e.born, int64(e.x.ttl))
	}
	if e.x.idle > 0 {
		if d := addSat(e.x.touched.Load(), int64(e.x.idle)); due < 0 || d < due {
			due = d
		}
	}
	return due
}

// addSat returns the registry-clock time d after at (at, d >= 0), or
// math.MaxInt64 (never) if that is past the clock's range: a duration such
// as math.MaxInt64, the usual "no limit", must not wrap around to a time
// in the past.
func addSat(at, d int64) int64 {
	if s := at + d; s >= at {
		return s
	}
	return math.MaxInt64
}

// shlSat returns d·2^n (d >= 0), or math.MaxInt64 if that is past the
// range of an int64.
func shlSat(d int64, n uint) int64 {
	if n >= 63 || d > math.MaxInt64>>n {
		if d == 0 {
			return 0
		}
		return math.MaxInt64
	}
	return d << n
}
