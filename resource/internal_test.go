package resource

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

func TestTableNeverReusesIDs(t *testing.T) {
	r, err := NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	var tb table
	seen := map[ID]bool{}
	live := map[ID]*entry{}
	for i := 0; i < 2000; i++ {
		e := &entry{}
		s, gen, err := tb.add(e)
		if err != nil {
			t.Fatal(err)
		}
		id := r.makeID(s, gen, 3)
		if seen[id] || id == 0 {
			t.Fatalf("ID %v reused or zero", id)
		}
		seen[id] = true
		live[id] = e
		if gs, gg := r.slotOf(id); gs != s || gg != gen || uint64(id)&r.mask != 3 {
			t.Fatalf("slotOf(%v) = %d, %d; want %d, %d", id, gs, gg, s, gen)
		}
		if i%3 != 0 { // free two in three, in a scattered order
			for old, oe := range live {
				os, _ := r.slotOf(old)
				tb.remove(os, oe)
				delete(live, old)
				if got := tb.get(r.slotOf(old)); got != nil {
					t.Fatalf("stale ID %v still found", old)
				}
				break
			}
		}
	}
	for id, e := range live {
		if got := tb.get(r.slotOf(id)); got != e {
			t.Fatalf("live ID %v not found", id)
		}
	}
	if tb.n != len(live) || len(tb.appendTo(nil)) != len(live) {
		t.Errorf("n = %d, appendTo %d, want %d", tb.n, len(tb.appendTo(nil)), len(live))
	}
}

func TestTableRetiresExhaustedSlot(t *testing.T) {
	var tb table
	e := &entry{}
	s, _, _ := tb.add(e)
	tb.slots[s].gen = ^uint32(0)
	tb.remove(s, e)
	if len(tb.free) != 0 {
		t.Errorf("exhausted slot went back to the free list")
	}
	s2, gen, _ := tb.add(&entry{})
	if s2 == s || gen != 0 {
		t.Errorf("add after retire = slot %d gen %d; want a new slot, gen 0", s2, gen)
	}
}

func TestHistogramBuckets(t *testing.T) {
	for _, ns := range []int64{0, 1, 3, 4, 7, 8, 9, 100, 1000, 123456789, 1 << 40} {
		b := bucketOf(ns)
		mid := bucketMid(b)
		if ns >= 4 && (mid < ns*7/8 || mid > ns*9/8+1) {
			t.Errorf("bucketOf(%d) = %d, mid %d: off by more than 12.5%%", ns, b, mid)
		}
		if b > 0 && bucketOf(ns) < bucketOf(ns-1) {
			t.Errorf("buckets not monotonic at %d", ns)
		}
	}
}

// TestTimerHeap drives the timer heap with random pushes, re-pushes and
// removals and checks its invariants and pop order against a model.
func TestTimerHeap(t *testing.T) {
	r, err := NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	tm := &r.timers
	defer tm.stop()
	rng := rand.New(rand.NewPCG(7, 7))
	var es []*entry
	model := map[*entry]int64{}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	for i := 0; i < 3000; i++ {
		switch op := rng.IntN(3); {
		case op < 2 || len(es) == 0: // push a new entry, or re-push an existing one
			var e *entry
			if len(es) > 0 && rng.IntN(4) == 0 {
				e = es[rng.IntN(len(es))]
			} else {
				e = &entry{}
				es = append(es, e)
			}
			due := int64(time.Hour) + rng.Int64N(int64(time.Hour))
			tm.pushLocked(e, due, tkRetry)
			model[e] = due
		default:
			e := es[rng.IntN(len(es))]
			if e.hidx != 0 {
				tm.removeLocked(e)
			}
			delete(model, e)
		}
		if len(tm.h) != len(model) {
			t.Fatalf("heap has %d items, model %d", len(tm.h), len(model))
		}
	}
	for i, e := range tm.h {
		if int(e.hidx) != i+1 || model[e] != e.due {
			t.Fatalf("item %d: hidx %d due %d, model due %d", i, e.hidx, e.due, model[e])
		}
		if p := (i - 1) / 2; i > 0 && tm.h[p].due > e.due {
			t.Fatalf("heap order broken at %d", i)
		}
	}
	last := int64(-1)
	for len(tm.h) > 0 {
		e := tm.h[0]
		if e.due < last {
			t.Fatalf("popped %d after %d", e.due, last)
		}
		last = e.due
		tm.removeLocked(e)
		delete(model, e)
	}
	if len(model) != 0 {
		t.Errorf("%d entries lost from the heap", len(model))
	}
}

// TestReclaimCandidateOrder checks the documented Reclaim order on candidates,
// including resources past their TTL or idle timeout whose timer has not
// fired yet (which only exist for an instant in a running registry).
func TestReclaimCandidateOrder(t *testing.T) {
	mk := func(name string, p Priority, expired bool, used, size int64) candidate {
		e := &entry{kind: name, prio: uint8(p)}
		e.size.Store(size)
		return candidate{e: e, expired: expired, used: used}
	}
	cs := []candidate{
		mk("high-old", High, false, 1, 10),
		mk("low-new", Low, false, 9, 10),
		mk("low-old-small", Low, false, 1, 1),
		mk("high-expired", High, true, 5, 1),
		mk("low-old-big", Low, false, 1, 100),
		mk("normal", Normal, false, 0, 10),
		mk("normal-expired", Normal, true, 7, 1),
	}
	slices.SortFunc(cs, compareCandidates)
	var got []string
	for _, c := range cs {
		got = append(got, c.e.kind)
	}
	want := []string{"normal-expired", "high-expired", "low-old-big", "low-old-small", "low-new", "normal", "high-old"}
	if !slices.Equal(got, want) {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
}

// TestBackoffNeverWraps: backoff(base, n) is drawn from [d/2, d] with
// d = base·2^(n-1) (the doubling capped at 2^20), and d saturates at the
// longest Duration instead of wrapping around to a negative delay (a retry
// at once): RetryBackoff = 3h reaches it at the 21st retry.
func TestBackoffNeverWraps(t *testing.T) {
	tests := []struct {
		base    time.Duration
		attempt int
		wantMin time.Duration
	}{
		{100 * time.Millisecond, 1, 50 * time.Millisecond},
		{100 * time.Millisecond, 30, 100 * time.Millisecond << 19},
		{3 * time.Hour, 20, 3 * time.Hour << 18},
		{3 * time.Hour, 21, math.MaxInt64 / 2},
		{3 * time.Hour, 40, math.MaxInt64 / 2},
		{1 << 62, 2, 1 << 62},
		{1 << 62, 3, math.MaxInt64 / 2},
		{math.MaxInt64, 1, math.MaxInt64 / 2},
		{math.MaxInt64, 5, math.MaxInt64 / 2},
	}
	for _, tc := range tests {
		for range 50 {
			if got := backoff(tc.base, tc.attempt); got < tc.wantMin {
				t.Fatalf("backoff(%v, %d) = %v, want >= %v", tc.base, tc.attempt, got, tc.wantMin)
			}
		}
	}
}

// TestDefaultOptions: NewRegistry(nil), and an Options whose fields are all
// zero, resolve to the documented defaults (Options' field docs), in the
// config and where each is used.
func TestDefaultOptions(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	for _, procs := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(procs)
		for _, tc := range []struct {
			name string
			o    *Options
		}{{"nil", nil}, {"zero", &Options{}}} {
			r, err := NewRegistry(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			wantWorkers := max(2, procs)
			for _, c := range []struct {
				field     string
				got, want any
			}{
				{"Leaks", r.cfg.leaks, LeaksSampled},
				{"LeakSampleRate", r.cfg.sampleRate, 128},
				{"MaxAttempts", r.cfg.maxAttempts, 3},
				{"RetryBackoff", r.cfg.retryBackoff, 100 * time.Millisecond},
				{"Workers", r.cfg.workers, wantWorkers},
				{"Workers (scheduler bound)", r.sched.max, wantWorkers},
				{"FailureHistory", r.cfg.failureHistory, 128},
				{"FailureHistory (failure log bound)", r.fails.max, 128},
				{"CleanupTimeout", r.cfg.cleanupTimeout, 30 * time.Second},
				{"Observer", r.obs, Observer(nil)},
			} {
				if c.got != c.want {
					t.Errorf("GOMAXPROCS=%d, %s Options: %s = %v, want %v", procs, tc.name, c.field, c.got, c.want)
				}
			}
			if tc.o == nil && procs == 1 { // the sampling itself: 1 Track in 128 records a stack
				const draws, want = 128 * 1000, 1000 // binomial: σ ≈ 31.5
				n := 0
				for range draws {
					if r.sampleStack() {
						n++
					}
				}
				if n < want-200 || n > want+200 {
					t.Errorf("sampleStack true %d times in %d, want about %d (1 in 128)", n, draws, want)
				}
			}
			if err := r.Shutdown(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
}
