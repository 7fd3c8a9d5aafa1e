package resource

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a value snapshot of a Registry's state and counters. Counters
// are cumulative since NewRegistry. Every registered resource ends in
// exactly one of Succeeded, FellBack, Failed or Detached, so at rest
// Registered == Live + Succeeded + FellBack + Failed + Detached.
type Stats struct {
	Live           int               // resources in the registry (live or being released)
	LiveByKind     map[string]int    // Live split by kind ("" for no kind)
	LiveByPriority [Critical + 1]int // Live split by priority, indexed by Priority
	Queued         [Critical + 1]int // cleanups waiting in each lane, indexed by Priority
	Running        int               // cleanups running on workers
	Waiting        int               // claimed resources waiting for their dependents to finish
	Backoff        int               // failed cleanups waiting out a retry backoff
	Workers        int               // worker goroutines

	Registered uint64 // Track and Register calls that succeeded
	Succeeded  uint64 // cleanups that succeeded
	FellBack   uint64 // resources released by their fallback
	Failed     uint64 // cleanups that failed for good
	Detached   uint64 // resources detached
	Retried    uint64 // retries scheduled
	Leaked     uint64 // leaked Guards detected
	Expired    uint64 // resources released by a TTL or idle timeout
	Reclaimed  uint64 // resources released or shrunk by Reclaim

	// Cleanup attempt latency percentiles (each within 12.5% of the
	// truth), over every attempt run by a worker and one in eight attempts
	// run on a caller's goroutine (a clock read costs tens of nanoseconds
	// on the Release hot path), since NewRegistry.
	CleanupP50, CleanupP90, CleanupP99 time.Duration
}

// Health is a value snapshot for health checks.
type Health struct {
	Phase          Phase
	Live           int
	QueueDepth     int             // cleanups waiting in all lanes
	Running        int             // cleanups running on workers
	OldestQueued   time.Duration   // how long the oldest queued cleanup has waited
	Failed         uint64          // cleanups that failed for good, ever
	Leaked         uint64          // leaks detected, ever
	RecentFailures []*CleanupError // up to the 8 most recent, oldest first
}

// counters are the shard's counters that change off the hot path.
type counters struct {
	retried, leaked, expired, reclaimed atomic.Uint64
}

// Stats returns a snapshot. It visits every shard (O(live resources), for
// the per-kind counts), so call it for monitoring, not per operation.
func (r *Registry) Stats() Stats {
	s := Stats{LiveByKind: make(map[string]int)}
	if r == nil { // holds nothing
		return s
	}
	var h histogram
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for _, sl := range sh.t.slots {
			if e := sl.e; e != nil {
				s.Live++
				s.LiveByKind[e.kind]++
				s.LiveByPriority[e.prio]++
				switch e.st() {
				case stWaiting:
					s.Waiting++
				case stBackoff:
					s.Backoff++
				}
			}
		}
		s.Registered += sh.registered
		s.Succeeded += sh.succeeded
		s.FellBack += sh.fellBack
		s.Failed += sh.failed
		s.Detached += sh.detached
		sh.mu.Unlock()
		c := &sh.c
		s.Retried += c.retried.Load()
		s.Leaked += c.leaked.Load()
		s.Expired += c.expired.Load()
		s.Reclaimed += c.reclaimed.Load()
		h.add(&sh.hist)
	}
	ls := r.sched.stats()
	s.Queued, s.Running, s.Workers = ls.queued, ls.running, ls.workers
	s.CleanupP50, s.CleanupP90, s.CleanupP99 = h.quantile(0.50), h.quantile(0.90), h.quantile(0.99)
	return s
}

// Health returns a snapshot for health checks.
func (r *Registry) Health() Health {
	if r == nil { // holds nothing
		return Health{}
	}
	ls := r.sched.stats()
	h := Health{Phase: Phase(r.phase.Load()), Live: r.Len(), Running: ls.running}
	for _, q := range ls.queued {
		h.QueueDepth += q
	}
	if ls.oldestAt >= 0 {
		h.OldestQueued = time.Duration(r.now() - ls.oldestAt)
	}
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		h.Failed += sh.failed
		sh.mu.Unlock()
		h.Leaked += sh.c.leaked.Load()
	}
	f := r.Failures()
	h.RecentFailures = f[max(0, len(f)-8):]
	return h
}

// Failures returns the most recent cleanups that failed for good, oldest
// first. It keeps at most Options.FailureHistory of them (default 128);
// Stats.Failed counts all.
func (r *Registry) Failures() []*CleanupError {
	if r == nil { // holds nothing
		return nil
	}
	return r.fails.list()
}

// failureLog keeps the last max failures in a ring.
type failureLog struct {
	max int

	mu       sync.Mutex // protects following fields
	ring     []*CleanupError
	next     int
	shutdown []*CleanupError // failures since Shutdown began (all of them)
}

func (l *failureLog) add(ce *CleanupError, draining bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if draining {
		l.shutdown = append(l.shutdown, ce)
	}
	if l.max <= 0 {
		return
	}
	if len(l.ring) < l.max {
		l.ring = append(l.ring, ce)
		return
	}
	l.ring[l.next] = ce
	l.next = (l.next + 1) % l.max
}

func (l *failureLog) list() []*CleanupError {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*CleanupError, 0, len(l.ring))
	out = append(out, l.ring[l.next:]...)
	return append(out, l.ring[:l.next]...)
}

func (l *failureLog) sinceShutdown() []*CleanupError {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*CleanupError(nil), l.shutdown...)
}

// histogram counts latencies in log-linear buckets: four per power of two
// (so a bucket's width is at most 25% of its lower bound). record is one
// atomic add on the shard of the resource.
type histogram struct {
	b [256]atomic.Uint64
}

func bucketOf(ns int64) int {
	if ns < 4 {
		return int(max(ns, 0))
	}
	n := bits.Len64(uint64(ns))
	return (n-2)*4 + int((ns>>(n-3))&3)
}

// bucketMid is the middle of bucket i in nanoseconds.
func bucketMid(i int) int64 {
	if i < 4 {
		return int64(i)
	}
	n, sub := i/4+2, int64(i%4)
	lo := (4 + sub) << (n - 3)
	return lo + (int64(1)<<(n-3))/2
}

func (h *histogram) record(d time.Duration) { h.b[bucketOf(int64(d))].Add(1) }

func (h *histogram) add(o *histogram) {
	for i := range h.b {
		if v := o.b[i].Load(); v != 0 {
			h.b[i].Add(v)
		}
	}
}

func (h *histogram) quantile(q float64) time.Duration {
	var total uint64
	for i := range h.b {
		total += h.b[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total-1)) + 1
	var seen uint64
	for i := range h.b {
		seen += h.b[i].Load()
		if seen >= rank {
			return time.Duration(bucketMid(i))
		}
	}
	return 0
}
