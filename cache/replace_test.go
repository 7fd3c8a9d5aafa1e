package cache

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// callLog is an Evictor (LRU underneath) that records the calls it gets.
type callLog struct {
	Evictor
	mu    sync.Mutex // the cache serializes calls; the test reads concurrently
	calls []string
}

func (l *callLog) log(format string, args ...any) {
	l.mu.Lock()
	l.calls = append(l.calls, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *callLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

func (l *callLog) Add(s uint32, h uint64, w int64) { l.log("Add(%d)", s); l.Evictor.Add(s, h, w) }
func (l *callLog) Hit(s uint32)                    { l.log("Hit(%d)", s); l.Evictor.Hit(s) }
func (l *callLog) Update(s uint32, w int64)        { l.log("Update(%d,%d)", s, w); l.Evictor.Update(s, w) }
func (l *callLog) Remove(s uint32)                 { l.log("Remove(%d)", s); l.Evictor.Remove(s) }

type logPolicy struct{ log *callLog }

func (p logPolicy) NewEvictor(capacity int64) Evictor {
	p.log.Evictor = LRU().NewEvictor(capacity)
	return p.log
}

// TestStripeOrderAndCounts checks the access buffer itself: hits and
// replacements drain in push order with their kind, a full stripe drops
// (and counts) what does not fit, and counts splits pushes into hits and
// replacements.
func TestStripeOrderAndCounts(t *testing.T) {
	var s stripe
	var want []string
	for i := range uint32(stripeLen + 3) {
		var ok bool
		if i%3 == 2 {
			ok = s.pushUpdate(i)
			if i < stripeLen {
				want = append(want, fmt.Sprintf("U%d", i))
			}
		} else {
			ok = s.pushHit(i)
			if i < stripeLen {
				want = append(want, fmt.Sprintf("H%d", i))
			}
		}
		if full := i >= stripeLen; ok == full {
			t.Fatalf("push #%d = %v, want %v", i, ok, !full)
		}
	}
	var got []string
	s.drain(func(x uint32) { got = append(got, fmt.Sprintf("H%d", x)) },
		func(x uint32) { got = append(got, fmt.Sprintf("U%d", x)) })
	if !slices.Equal(got, want) {
		t.Fatalf("drained %v, want %v", got, want)
	}
	if hits, replaced := s.counts(); hits != 13 || replaced != 6 {
		t.Fatalf("counts() = %d hits, %d replaced, want 13, 6", hits, replaced)
	}
	if !s.pushHit(7) {
		t.Fatal("push after drain dropped")
	}
}

// TestReplaceReachesPolicyAsUpdate checks that a replacing Set of an entry
// without deadline (the fast path) reaches the Evictor as Update(slot, 1)
// after the reads before it, is reported to OnEvict as Replaced at once and
// counted in Stats, and that the slow path still serves writes that involve
// deadlines.
func TestReplaceReachesPolicyAsUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &callLog{}
		var r syncRecorder
		c := newInt(t, &Options[int, int]{MaxEntries: 4, Policy: logPolicy{log}, OnEvict: r.onEvict})
		steps := []struct {
			name   string
			op     func()
			calls  []string // Evictor calls after the op and a drain
			events []event  // OnEvict calls
		}{
			{"insert 1", func() { c.Set(1, 10) }, []string{"Add(0)"}, nil},
			{"insert 2", func() { c.Set(2, 20) }, []string{"Add(1)"}, nil},
			{"replace 1", func() { c.Set(1, 11) }, []string{"Update(0,1)"}, []event{{1, 10, Replaced}}},
			{"hit 2", func() { c.Get(2) }, []string{"Hit(1)"}, nil},
			{"replace 2", func() { c.Set(2, 21) }, []string{"Update(1,1)"}, []event{{2, 20, Replaced}}},
			{"replace 1 with a TTL", func() { c.SetTTL(1, 12, time.Second) }, []string{"Update(0,1)"}, []event{{1, 11, Replaced}}},
			{"replace 1 without TTL", func() { c.Set(1, 13) }, []string{"Update(0,1)"}, []event{{1, 12, Replaced}}},
			{"wait past the TTL", func() { advance(2 * wheelSlack) }, nil, nil},
			{"delete 2", func() { c.Delete(2) }, []string{"Remove(1)"}, []event{{2, 21, Deleted}}},
		}
		for _, st := range steps {
			st.op()
			c.drain()
			if got := log.take(); !slices.Equal(got, st.calls) {
				t.Fatalf("%s: Evictor calls %v, want %v", st.name, got, st.calls)
			}
			if got := r.take(); !slices.Equal(got, st.events) {
				t.Fatalf("%s: OnEvict calls %v, want %v", st.name, got, st.events)
			}
		}
		if v, ok := c.Get(1); !ok || v != 13 {
			t.Fatalf("Get(1) = %d, %v, want 13, true (the TTL was replaced by none)", v, ok)
		}
		s := c.Stats()
		if s.Hits != 2 || s.Evictions[Replaced] != 4 || s.Evictions[Deleted] != 1 {
			t.Fatalf("Stats = %+v, want 2 hits, 4 replaced, 1 deleted", s)
		}
	})
}

// TestReplaceThenTTL checks that a replacing SetTTL of an entry that had
// no deadline gives it one (it goes the slow way).
func TestReplaceThenTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r syncRecorder
		c := newInt(t, &Options[int, int]{MaxEntries: 4, OnEvict: r.onEvict})
		c.Set(1, 10)
		c.SetTTL(1, 11, time.Second)
		advance(time.Second)
		if v, ok := c.Get(1); ok {
			t.Fatalf("Get(1) = %d after its TTL, want a miss", v)
		}
		advance(wheelSlack)
		want := []event{{1, 10, Replaced}, {1, 11, Expired}}
		if got := r.take(); !slices.Equal(got, want) {
			t.Fatalf("OnEvict calls %v, want %v", got, want)
		}
	})
}

// TestConcurrentReplaceStrictBound mixes fast-path replacements of a hot
// key set with inserts of new keys, deletes and reads from many goroutines:
// the bound holds after every operation, Get returns only values stored for
// its key, every stored value is reported exactly once (Replaced, Capacity
// or Deleted), and Stats counts exactly the hits and replacements seen.
//
// With ttl, half the writes carry a time to live of 1–3 s, and the workers
// run in phases with the clock moved on by 700 ms between them, so entries
// expire while others have their deadlines extended on the fast path.
func TestConcurrentReplaceStrictBound(t *testing.T) {
	for _, p := range policies() {
		for _, ttl := range []bool{false, true} {
			t.Run(fmt.Sprintf("policy=%s/ttl=%v", p.name, ttl), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) { replaceHammer(t, p.policy, ttl) })
			})
		}
	}
}

func replaceHammer(t *testing.T, p Policy, ttl bool) {
	const (
		workers  = 8
		phases   = 4
		ops      = 750 // per worker and phase
		capacity = 32
		keys     = 48 // more than capacity: inserts evict
	)
	var (
		stores, hits        atomic.Int64
		reported, replaced  atomic.Int64
		badValue, overBound atomic.Int64
	)
	onEvict := func(k, v int, why Reason) {
		reported.Add(1)
		if why == Replaced {
			replaced.Add(1)
		}
		if v%keys != k {
			badValue.Add(1)
		}
	}
	c, err := New(&Options[int, int]{MaxEntries: capacity, Policy: p, OnEvict: onEvict})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for phase := range phases {
		for w := range workers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), uint64(phase)))
				for i := range ops {
					k := r.IntN(keys)
					if r.IntN(2) == 0 {
						k = r.IntN(8) // hot keys: mostly replacements
					}
					v := k + keys*((phase*workers+w)*ops+i) // unique, ≡ k mod keys
					switch r.IntN(8) {
					case 0, 1:
						c.Set(k, v)
						stores.Add(1)
					case 2, 3:
						if ttl {
							c.SetTTL(k, v, time.Duration(1+r.IntN(3))*time.Second)
						} else {
							c.Set(k, v)
						}
						stores.Add(1)
					case 4:
						c.Delete(k)
					default:
						if v, ok := c.Get(k); ok {
							hits.Add(1)
							if v%keys != k {
								badValue.Add(1)
							}
						}
					}
					if c.Len() > capacity {
						overBound.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if ttl {
			advance(700 * time.Millisecond)
		}
	}
	if ttl {
		advance(3*time.Second + wheelSlack) // every deadline has passed
	}
	if n := overBound.Load(); n > 0 {
		t.Errorf("Len() exceeded %d after %d operations", capacity, n)
	}
	if n := badValue.Load(); n > 0 {
		t.Errorf("%d values seen under a key they were not stored for", n)
	}
	s := c.Stats()
	if got, want := s.Hits, uint64(hits.Load()); got != want {
		t.Errorf("Stats.Hits = %d, want %d", got, want)
	}
	if got, want := s.Evictions[Replaced], uint64(replaced.Load()); got != want {
		t.Errorf("Stats.Evictions[Replaced] = %d, want %d", got, want)
	}
	if replaced.Load() == 0 || s.Evictions[Capacity] == 0 || ttl && s.Evictions[Expired] == 0 {
		t.Errorf("Stats = %+v: expected replacements, capacity evictions (and expiries with ttl)", s)
	}
	if got, want := stores.Load()-reported.Load(), int64(c.Len()); got != want {
		t.Errorf("stores - OnEvict reports = %d, Len() = %d", got, want)
	}
	c.Clear()
	if got := stores.Load() - reported.Load(); got != 0 {
		t.Errorf("after Clear, %d stored values were never reported", got)
	}
}

// TestReplaceFastPathCases checks which replacements take the fast path:
// an entry without deadline to none, an unexpired entry to a deadline no
// earlier than its own; and what the fast path leaves behind.
func TestReplaceFastPathCases(t *testing.T) {
	tests := []struct {
		name     string
		old, ttl time.Duration // the entry's TTL (0: none) and the new one
		fast     bool
	}{
		{name: "none to none", old: 0, ttl: 0, fast: true},
		{name: "none to a TTL", old: 0, ttl: time.Second, fast: false},
		{name: "TTL to none", old: time.Second, ttl: 0, fast: false},
		{name: "TTL to a later one", old: time.Second, ttl: 2 * time.Second, fast: true},
		{name: "TTL to the same", old: time.Second, ttl: time.Second, fast: true},
		{name: "TTL to an earlier one", old: time.Second, ttl: time.Second / 2, fast: false},
		{name: "expired", old: time.Second / 4, ttl: time.Second, fast: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newInt(t, &Options[int, int]{MaxEntries: 4})
				c.SetTTL(1, 10, tt.old)
				advance(time.Second / 4) // "expired" is due now; the wheel has not run yet
				old, ok := c.replace(1, 11, c.hash(1), int64(tt.ttl))
				if ok != tt.fast || ok && old != 10 {
					t.Fatalf("replace = %d, %v, want 10, %v", old, ok, tt.fast)
				}
				if !ok {
					return
				}
				if v, _ := c.peek(1); v != 11 {
					t.Fatalf("after replace, peek(1) = %d, want 11", v)
				}
				s, _ := c.slotOf(c.shardOf(c.hash(1)), c.hash(1), 1)
				var want int64
				if tt.ttl > 0 {
					want = c.now() + int64(tt.ttl)
				}
				if got := c.deadlineOf(s); got != want {
					t.Fatalf("deadline = %d, want %d", got, want)
				}
			})
		})
	}
}

// TestReplaceExtendsTTL checks expiry after a fast-path replacement moved an
// entry's deadline later: the wheel meets the entry at its old deadline,
// files it again, and it expires (with its new value) at the new one.
func TestReplaceExtendsTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r syncRecorder
		c := newInt(t, &Options[int, int]{MaxEntries: 4, TTL: 10 * time.Second, OnEvict: r.onEvict})
		c.Set(1, 10)
		advance(5 * time.Second)
		c.Set(1, 11) // deadline 15 s: later, so the fast path takes it
		advance(5*time.Second + wheelSlack)
		if v, ok := c.Get(1); !ok || v != 11 {
			t.Fatalf("Get(1) past the first deadline = %d, %v, want 11, true", v, ok)
		}
		if got, want := r.take(), []event{{1, 10, Replaced}}; !slices.Equal(got, want) {
			t.Fatalf("OnEvict calls %v, want %v", got, want)
		}
		advance(5*time.Second + wheelSlack)
		if v, ok := c.Get(1); ok {
			t.Fatalf("Get(1) past the second deadline = %d, want a miss", v)
		}
		if got, want := r.take(), []event{{1, 11, Expired}}; !slices.Equal(got, want) {
			t.Fatalf("OnEvict calls %v, want %v", got, want)
		}
	})
}

// TestExpiryRechecksDeadline plays the race between the wheel and a
// fast-path replacement deterministically: the wheel reads the old, due,
// deadline (a stale deadlineOf), but the entry now has a later one, so
// expireLocked must keep it and file it again rather than remove it.
func TestExpiryRechecksDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r syncRecorder
		c := newInt(t, &Options[int, int]{MaxEntries: 4, OnEvict: r.onEvict})
		c.SetTTL(1, 10, time.Second)
		old := c.now() + int64(time.Second)
		advance(time.Second / 2)
		if _, ok := c.replace(1, 11, c.hash(1), int64(10*time.Second)); !ok {
			t.Fatal("replace took the slow way")
		}
		c.mu.Lock()
		c.deadlineOfF = func(uint32) int64 { return old } // what a racing wheel read
		pending := c.expireLocked(old+int64(wheelSlack), nil)
		c.deadlineOfF = c.deadlineOf
		scheduled := c.wheel.Len()
		c.mu.Unlock()
		c.notify(pending)
		if len(pending) != 0 || scheduled != 1 {
			t.Fatalf("expireLocked removed %v and left %d scheduled, want nothing removed and 1", pending, scheduled)
		}
		if v, ok := c.peek(1); !ok || v != 11 {
			t.Fatalf("peek(1) = %d, %v, want 11, true", v, ok)
		}
	})
}
