package resource

import (
	"context"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/pressure/pressuretest"
	"pgregory.net/rapid"
)

// TestGate checks the shrink decision: a structure whose bursts recur keeps
// its capacity (no reallocation per burst); one whose burst is over shrinks
// within two windows of light use, to twice what it then holds.
func TestGate(t *testing.T) {
	const c = 4096
	var g gate
	for burst := range 50 { // bursts to 1/3 of c, then back to 0
		for n := c / 3; n > 0; n-- {
			if got := g.removed(n-1, c); got != 0 {
				t.Fatalf("burst %d: shrink to %d while bursts recur", burst, got)
			}
		}
	}
	var shrinkTo int
	for i := 0; i < 2*c && shrinkTo == 0; i++ { // light use: at most 10 held
		shrinkTo = g.removed(i%10, c)
	}
	if want := max(2*10, shrinkMin/4); shrinkTo != want {
		t.Errorf("after two windows of light use: shrink to %d, want %d", shrinkTo, want)
	}
	var small gate
	for i := range 10 * shrinkMin {
		if got := small.removed(i%2, shrinkMin); got != 0 {
			t.Fatalf("capacity %d shrank to %d (at or below shrinkMin nothing shrinks)", shrinkMin, got)
		}
	}
}

// TestTableShrinkKeepsIDsUnique checks the table against a model through
// bursts and drains: every live ID finds its entry, no ID issued before is
// ever found again (not even after its slot was dropped and created anew),
// and a drained table is small again after two windows of light use.
func TestTableShrinkKeepsIDsUnique(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type issued struct {
			s   uint64
			gen uint32
		}
		var tb table
		live := map[issued]*entry{}
		var order []issued // live IDs, in a shuffled order for removal
		var dead []issued
		for range rapid.IntRange(1, 6).Draw(t, "rounds") {
			for range rapid.IntRange(0, 2000).Draw(t, "burst") {
				e := &entry{}
				s, gen, err := tb.add(e)
				if err != nil {
					t.Fatal(err)
				}
				id := issued{s, gen}
				if _, dup := live[id]; dup {
					t.Fatalf("add returned live slot %d gen %d again", s, gen)
				}
				live[id] = e
				order = append(order, id)
			}
			seed := rapid.Uint64().Draw(t, "seed")
			rand.New(rand.NewPCG(seed, 1)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			drop := rapid.IntRange(0, len(order)).Draw(t, "drop")
			for _, id := range order[:drop] {
				tb.remove(id.s, live[id])
				delete(live, id)
				dead = append(dead, id)
			}
			order = order[drop:]
			for id, e := range live {
				if got := tb.get(id.s, id.gen); got != e {
					t.Fatalf("live slot %d gen %d: got %p, want %p", id.s, id.gen, got, e)
				}
			}
			for _, id := range dead {
				if got := tb.get(id.s, id.gen); got != nil {
					t.Fatalf("removed slot %d gen %d found again", id.s, id.gen)
				}
			}
			if tb.n != len(live) {
				t.Fatalf("n = %d, want %d", tb.n, len(live))
			}
		}
		for _, id := range order {
			tb.remove(id.s, live[id])
		}
		for range 2 * len(tb.slots) { // light use: one entry at a time
			e := &entry{}
			s, _, _ := tb.add(e)
			tb.remove(s, e)
		}
		if len(tb.slots) > shrinkMin+1 || cap(tb.slots) > 4*shrinkMin || cap(tb.free) > 4*shrinkMin {
			t.Fatalf("drained table keeps %d slots (cap %d), free list cap %d", len(tb.slots), cap(tb.slots), cap(tb.free))
		}
	})
}

// TestRingShrinksInOrder checks the scheduler's queue against a slice
// through bursts: FIFO order holds across every resize, and a drained queue
// gives its buffer back after two windows of light use.
func TestRingShrinksInOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q ring
		var model []*entry
		for range rapid.IntRange(1, 8).Draw(t, "rounds") {
			for range rapid.IntRange(0, 3000).Draw(t, "push") {
				e := &entry{}
				q.push(queued{e: e})
				model = append(model, e)
			}
			for range rapid.IntRange(0, len(model)).Draw(t, "pop") {
				if got := q.pop(); got != model[0] {
					t.Fatalf("pop = %p, want %p", got, model[0])
				}
				model = model[1:]
			}
			if q.n != len(model) {
				t.Fatalf("n = %d, want %d", q.n, len(model))
			}
		}
		for range model {
			q.pop()
		}
		for range 2 * len(q.buf) {
			q.push(queued{e: &entry{}})
			q.pop()
		}
		if len(q.buf) > shrinkMin {
			t.Fatalf("drained queue keeps a buffer of %d", len(q.buf))
		}
	})
}

// TestBurstMemoryIsReturned registers a burst of resources, half of them
// with a TTL, releases them all in a random order, goes on with light use
// (one resource at a time) and checks that the registry's slot arrays, free
// lists and timer heap are small again.
func TestBurstMemoryIsReturned(t *testing.T) {
	r, err := NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	const n = 20000
	ids := make([]ID, 0, n)
	for i := range n {
		var opts []Option
		if i%2 == 0 {
			opts = append(opts, WithTTL(time.Hour))
		}
		id, err := r.Register(func(context.Context) error { return nil }, opts...)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for _, id := range ids {
		if err := r.Release(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	// Light use: each shard (picked by allocation address) sees enough
	// removals for two windows of its capacity.
	for range 8 * n {
		id, err := r.Register(func(context.Context) error { return nil }, WithTTL(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Release(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	checkSmall(t, r, n)
}

// checkSmall fails t if r's slot arrays, free lists or timer heap are
// larger than a registry that never had a burst would have.
func checkSmall(t *testing.T, r *Registry, burst int) {
	t.Helper()
	slots, free := 0, 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		slots, free = slots+cap(sh.t.slots), free+cap(sh.t.free)
		sh.mu.Unlock()
	}
	r.timers.mu.Lock()
	heap := cap(r.timers.h)
	r.timers.mu.Unlock()
	limit := len(r.shards) * 4 * shrinkMin
	if slots > limit || free > limit || heap > 4*shrinkMin {
		t.Errorf("after releasing a burst of %d: slot capacity %d, free-list capacity %d (limit %d), timer heap capacity %d (limit %d)",
			burst, slots, free, limit, heap, 4*shrinkMin)
	}
}

// TestPressureCompacts releases a burst and then stays silent: no window
// of light use ever ends, but memory pressure at High gives the memory
// back at once.
func TestPressureCompacts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		r, err := NewRegistry(&Options{Pressure: mon})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Shutdown(context.Background())
		const n = 20000
		ids := make([]ID, 0, n)
		for range n {
			id, err := r.Register(func(context.Context) error { return nil }, WithTTL(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for _, id := range ids {
			if err := r.Release(context.Background(), id); err != nil {
				t.Fatal(err)
			}
		}
		mon.Set(pressure.Moderate) // reclaims, gives nothing back
		synctest.Wait()
		r.timers.mu.Lock()
		heap := cap(r.timers.h)
		r.timers.mu.Unlock()
		if heap < n/2 {
			t.Fatalf("timer heap capacity %d before High, want the burst's (%d): the test proves nothing", heap, n)
		}
		<-time.After(time.Second) // one notification per interval
		mon.Set(pressure.High)
		synctest.Wait()
		checkSmall(t, r, n)
	})
}
