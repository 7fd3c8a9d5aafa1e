package cache

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"
)

// syncRecorder collects OnEvict calls from any goroutine (the expiry timer's).
type syncRecorder struct {
	mu     sync.Mutex
	events []event
}

func (r *syncRecorder) onEvict(k, v int, why Reason) {
	r.mu.Lock()
	r.events = append(r.events, event{k, v, why})
	r.mu.Unlock()
}

func (r *syncRecorder) take() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.events
	r.events = nil
	return e
}

// advance moves the bubble's fake clock by d and lets timers run.
func advance(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}

// wheelSlack bounds how late the timer wheel reports an expired entry.
const wheelSlack = 1100 * time.Millisecond

// instance is one value set in the model; values are unique per Set.
type instance struct {
	key      int
	deadline time.Time // zero: never
	done     bool      // reported to OnEvict
}

func (in *instance) expired(now time.Time) bool {
	return !in.deadline.IsZero() && !now.Before(in.deadline)
}

// TestExpiryModel checks TTL, per-entry TTL and expire-after-access against
// a model under synctest: Get is exact at every instant, each value is
// reported once with the right reason, and expired entries are reported
// within the wheel's resolution.
type expiryOp struct {
	kind string
	key  int
	ms   int // SetTTL: ttl; Advance: duration
}

// TestExpiryModel checks TTL, per-entry TTL and expire-after-access against
// a model under synctest: Get is exact at every instant, each value is
// reported once with the right reason, and expired entries are reported
// within the wheel's resolution. rapid draws the operations; each sequence
// runs in its own synctest bubble.
func TestExpiryModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		idle := rapid.Bool().Draw(rt, "expireAfterAccess")
		d := time.Duration(rapid.IntRange(1, 5).Draw(rt, "seconds")) * time.Second
		op := rapid.Custom(func(t *rapid.T) expiryOp {
			return expiryOp{
				kind: rapid.SampledFrom([]string{"Set", "SetTTL", "Get", "Get", "Delete", "Advance", "Advance"}).Draw(t, "kind"),
				key:  rapid.IntRange(0, 9).Draw(t, "key"),
				ms:   rapid.IntRange(0, 3000).Draw(t, "ms"),
			}
		})
		ops := rapid.SliceOfN(op, 1, 80).Draw(rt, "ops")
		var failure string
		synctest.Test(t, func(t *testing.T) {
			failure = runExpiryModel(idle, d, ops)
		})
		if failure != "" {
			rt.Fatal(failure)
		}
	})
}

// runExpiryModel runs ops against a cache and the model; it returns the
// first discrepancy, or "".
func runExpiryModel(idle bool, d time.Duration, ops []expiryOp) (failure string) {
	o := &Options[int, int]{MaxEntries: 100, Policy: LRU()}
	if idle {
		o.ExpireAfterAccess = d
	} else {
		o.TTL = d
	}
	var r syncRecorder
	o.OnEvict = r.onEvict
	c, err := New(o)
	if err != nil {
		return err.Error()
	}
	c.compactEager = true // entries move between slots with their deadlines
	defer func() {
		if p := recover(); p != nil {
			failure = fmt.Sprint(p)
		}
		c.Close()
	}()
	fail := func(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
	insts := map[int]*instance{} // by value
	live := map[int]int{}        // key → value of its instance
	nextV := 0
	check := func(op string, sync []event) {
		now := time.Now()
		got := r.take()
		for _, e := range got {
			in := insts[e.value]
			if in == nil || in.done || in.key != e.key {
				fail("%s: unexpected OnEvict %v", op, e)
			}
			if e.reason == Expired && !in.expired(now) {
				fail("%s: %v reported before its deadline %v (now %v)", op, e, in.deadline, now)
			}
			if e.reason != Expired && !slices.Contains(sync, e) {
				fail("%s: unexpected OnEvict %v, want %v", op, e, sync)
			}
			in.done = true
			if live[e.key] == e.value {
				delete(live, e.key)
			}
		}
		for _, e := range sync {
			if !insts[e.value].done {
				fail("%s: OnEvict %v missing (got %v)", op, e, got)
			}
		}
		for k, v := range live {
			if in := insts[v]; in.expired(now.Add(-wheelSlack)) {
				fail("%s: key %d expired at %v still unreported at %v", op, k, in.deadline, now)
			}
		}
	}
	replace := func(k int) []event {
		if v, ok := live[k]; ok && !insts[v].expired(time.Now()) {
			return []event{{k, v, Replaced}}
		}
		return nil
	}
	for _, op := range ops {
		k := op.key
		switch op.kind {
		case "Set", "SetTTL":
			nextV++
			want := replace(k)
			in := &instance{key: k, deadline: time.Now().Add(d)}
			if op.kind == "Set" {
				c.Set(k, nextV)
			} else {
				ttl := time.Duration(op.ms) * time.Millisecond
				c.SetTTL(k, nextV, ttl)
				in.deadline = time.Time{}
				if ttl > 0 {
					in.deadline = time.Now().Add(ttl)
				}
			}
			insts[nextV], live[k] = in, nextV
			check(op.kind, want)
		case "Get":
			got, ok := c.Get(k)
			v, present := live[k]
			wok := present && !insts[v].expired(time.Now())
			if ok != wok || (ok && got != v) {
				fail("Get(%d) = %d, %v, want %d, %v", k, got, ok, v, wok)
			}
			if in := insts[v]; ok && idle && !in.deadline.IsZero() { // SetTTL(k, v, 0): never expires
				if ext := time.Now().Add(d); ext.After(in.deadline) { // a hit never shortens a SetTTL deadline
					in.deadline = ext
				}
			}
			check("Get", nil)
		case "Delete":
			v, present := live[k]
			wok := present && !insts[v].expired(time.Now())
			if got := c.Delete(k); got != wok {
				fail("Delete(%d) = %v, want %v", k, got, wok)
			}
			var want []event
			if wok {
				want = []event{{k, v, Deleted}}
			}
			check("Delete", want)
			if _, still := live[k]; still {
				fail("Delete(%d): entry not reported", k)
			}
		case "Advance":
			advance(time.Duration(op.ms+1) * time.Millisecond)
			check("Advance", nil)
		}
	}
	var want []event
	for k, v := range live {
		if !insts[v].expired(time.Now()) {
			want = append(want, event{k, v, Deleted})
		}
	}
	c.Close()
	synctest.Wait()
	check("Close", want)
	if len(live) != 0 {
		fail("Close left %d entries unreported", len(live))
	}
	return ""
}

// TestUnclosedCacheGoesQuiet checks that a cache that is never closed
// collects its expired entries by itself and leaves no goroutine behind
// (synctest.Test fails if a bubble goroutine outlives the test function).
func TestUnclosedCacheGoesQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r syncRecorder
		c, err := New(&Options[int, int]{MaxEntries: 1000, TTL: 3 * time.Second, OnEvict: r.onEvict})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 500 {
			c.Set(i, i)
		}
		for i := range 5000 { // fills read buffers: drain goroutines come and go
			c.Get(i % 500)
		}
		v, err := c.GetOrLoad(context.Background(), 9999, func(context.Context, int) (int, error) { return 1, nil })
		if err != nil || v != 1 {
			t.Fatalf("GetOrLoad = %d, %v", v, err)
		}
		advance(10 * time.Second)
		if n := len(r.take()); n != 501 || c.Len() != 0 {
			t.Fatalf("after the TTL: %d expiries reported, Len %d; want 501, 0", n, c.Len())
		}
	})
}

// TestHitKeepsLongerSetTTL checks that with ExpireAfterAccess a hit never
// shortens the deadline SetTTL gave: the entry lives its whole TTL, and it
// is reported as expired once that TTL (not the first hit plus the idle
// time) has passed.
func TestHitKeepsLongerSetTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r syncRecorder
		c, err := New(&Options[int, int]{MaxEntries: 10, ExpireAfterAccess: time.Second, OnEvict: r.onEvict})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetTTL(1, 1, 3*time.Second)
		if _, ok := c.Get(1); !ok {
			t.Fatal("Get(1) missed right after SetTTL")
		}
		advance(2500 * time.Millisecond) // past the hit + 1 s, before the 3 s TTL
		if _, ok := c.Get(1); !ok {
			t.Fatal("Get(1) at 2.5 s missed: the hit at 0 s shortened the 3 s TTL")
		}
		advance(3600 * time.Millisecond) // past the second hit + 1 s, plus the wheel's resolution
		if _, ok := c.Get(1); ok {
			t.Fatal("Get(1) hit 3.6 s after the last hit, with ExpireAfterAccess 1 s")
		}
		if got, want := r.take(), []event{{1, 1, Expired}}; !slices.Equal(got, want) {
			t.Fatalf("OnEvict calls = %v, want %v", got, want)
		}
	})
}
