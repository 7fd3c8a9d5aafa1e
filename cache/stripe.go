package cache

import (
	"sync/atomic"

	"github.com/patinox/memory/internal/stackprobe"
)

// stripeLen is the capacity of one stripe's buffer (a power of two).
const stripeLen = 16

// updateBit marks a buffered replacement (a Set of an existing key that
// took the fast path, see replace) as opposed to a read hit.
const updateBit = 1 << 32

// stripe is one lane of the lossy access buffer plus the hit, miss and
// replacement counters of the goroutines that picked it. A goroutine picks a
// stripe by its stack address (stackprobe.Probe), so concurrent goroutines rarely
// share one and the counters are never one contended word. The buffer holds
// read hits and fast-path replacements, in the order they happened on this
// stripe; a full stripe drops them: the policy sees most accesses, not all
// (as in Caffeine and otter, which also send a replacement that keeps the
// entry's weight through the read buffer).
//
// Every push either advances tail (buffered) or increments dropped, so
// pushes = tail + dropped costs one atomic write, not two; replaced counts
// the pushes that were replacements, so hits = tail + dropped - replaced.
type stripe struct {
	tail     atomic.Uint64 // accesses buffered so far (next place to fill)
	head     atomic.Uint64 // next place to drain (written under Cache.mu)
	dropped  atomic.Uint64 // accesses not buffered
	replaced atomic.Uint64 // fast-path replacements (buffered or dropped)
	misses   atomic.Uint64
	reading  atomic.Uint32            // shard.id of the biased shard a reader of this stripe is in, or 0 (bias.go)
	buf      [stripeLen]atomic.Uint64 // slot+1 of an access, | updateBit for a replacement; 0: empty
	_        [64]byte                 // keep neighbours off this stripe's last cache line
}

// push records an access (slot+1, with updateBit for a replacement); it
// reports false when the stripe is full and the access was dropped (it is
// still counted).
func (s *stripe) push(x uint64) bool {
	t := s.tail.Load()
	if t-s.head.Load() >= stripeLen {
		s.dropped.Add(1)
		return false
	}
	if !s.tail.CompareAndSwap(t, t+1) {
		s.dropped.Add(1) // lost a race for this place: drop, do not retry
		return true
	}
	s.buf[t&(stripeLen-1)].Store(x)
	return true
}

// pushHit records a read hit on slot; see push.
func (s *stripe) pushHit(slot uint32) bool { return s.push(uint64(slot) + 1) }

// pushUpdate records a fast-path replacement of slot's value; see push.
// The replacement is counted after it is pushed, so that a concurrent
// Stats (counts loads replaced before tail and dropped) never subtracts a
// replacement it has not counted as a push.
func (s *stripe) pushUpdate(slot uint32) bool {
	ok := s.push(uint64(slot) + 1 | updateBit)
	s.replaced.Add(1)
	return ok
}

// counts returns the read hits and fast-path replacements counted by this
// stripe (replaced is loaded first: see pushUpdate).
func (s *stripe) counts() (hits, replaced uint64) {
	replaced = s.replaced.Load()
	return s.tail.Load() + s.dropped.Load() - replaced, replaced
}

// drain hands every buffered access to hit or update, in order. Called
// under Cache.mu.
func (s *stripe) drain(hit, update func(slot uint32)) {
	h, t := s.head.Load(), s.tail.Load()
	if h == t {
		return // nothing buffered: skip the store, a locked instruction on amd64
	}
	for ; h != t; h++ {
		x := s.buf[h&(stripeLen-1)].Swap(0)
		if x == 0 {
			break // a goroutine reserved this place but has not stored yet
		}
		if x&updateBit != 0 {
			update(uint32(x) - 1)
		} else {
			hit(uint32(x) - 1)
		}
	}
	s.head.Store(h)
}

// newStripes returns a power-of-two number of stripes, about four per P.
func newStripes() []stripe { return make([]stripe, stackprobe.Stripes(4)) }

// pick returns the calling goroutine's stripe: chosen by its stack address,
// so a goroutine keeps to one stripe and different goroutines spread out.
func pick(ss []stripe) *stripe {
	return &ss[stackprobe.Probe()&uint32(len(ss)-1)]
}
