package cache

import (
	"runtime"
	"sync/atomic"
)

// stripeLen is the capacity of one stripe's read buffer (a power of two).
const stripeLen = 16

// stripe is one lane of the lossy read buffer plus the hit and miss counters
// of the readers that picked it. A reader picks a stripe by its goroutine
// (stackProbe), so concurrent readers rarely share one and the counters are
// never one contended word. A full stripe drops reads: the policy sees most hits, not
// all (as in Caffeine and otter). Every hit either advances tail (it was
// buffered) or increments dropped, so hits = tail + dropped costs a reader
// one atomic write, not two.
type stripe struct {
	tail    atomic.Uint64 // reads buffered so far (next place to fill)
	head    atomic.Uint64 // next place to drain (written under Cache.mu)
	dropped atomic.Uint64 // hits not buffered
	misses  atomic.Uint64
	buf     [stripeLen]atomic.Uint32 // slot+1 of a read; 0: empty
	_       [64]byte                 // keep neighbours off this stripe's last cache line
}

// push records a hit on slot; it reports false when the stripe is full and
// the read was dropped (it is still counted).
func (s *stripe) push(slot uint32) bool {
	t := s.tail.Load()
	if t-s.head.Load() >= stripeLen {
		s.dropped.Add(1)
		return false
	}
	if !s.tail.CompareAndSwap(t, t+1) {
		s.dropped.Add(1) // lost a race for this place: drop, do not retry
		return true
	}
	s.buf[t&(stripeLen-1)].Store(slot + 1)
	return true
}

// hits returns the hits counted by this stripe.
func (s *stripe) hits() uint64 { return s.tail.Load() + s.dropped.Load() }

// drain hands every buffered read to hit. Called under Cache.mu.
func (s *stripe) drain(hit func(slot uint32)) {
	h, t := s.head.Load(), s.tail.Load()
	for ; h != t; h++ {
		x := s.buf[h&(stripeLen-1)].Swap(0)
		if x == 0 {
			break // a reader reserved this place but has not stored yet
		}
		hit(x - 1)
	}
	s.head.Store(h)
}

// newStripes returns a power-of-two number of stripes, about four per P.
func newStripes() []stripe {
	n := 1
	for n < 4*runtime.GOMAXPROCS(0) {
		n <<= 1
	}
	return make([]stripe, n)
}

// pick returns the calling goroutine's stripe: chosen by its stack address,
// so a goroutine keeps to one stripe and different goroutines spread out.
func pick(ss []stripe) *stripe {
	return &ss[stackProbe()&uint32(len(ss)-1)]
}
