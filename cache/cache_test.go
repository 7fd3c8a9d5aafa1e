package cache

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patinox/memory/resource"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// event is one OnEvict call.
type event struct {
	key    int
	value  int
	reason Reason
}

// recorder collects OnEvict calls; use only from one goroutine or under
// the cache's serialization (tests that need more lock their own).
type recorder struct{ events []event }

func (r *recorder) onEvict(k, v int, why Reason) { r.events = append(r.events, event{k, v, why}) }

// drain applies buffered reads to the policy (test hook).
func (c *Cache[K, V]) drain() {
	c.mu.Lock()
	c.drainLocked()
	c.mu.Unlock()
}

func newInt(t testing.TB, o *Options[int, int]) *Cache[int, int] {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestOptionsValidation(t *testing.T) {
	w := func(int, int) int64 { return 1 }
	tests := []struct {
		name string
		opts *Options[int, int]
		want string // substring of the error; "" = valid
	}{
		{"nil", nil, "required"},
		{"no bound", &Options[int, int]{}, "MaxEntries or Options.MaxWeight"},
		{"negative entries", &Options[int, int]{MaxEntries: -1}, "MaxEntries must be >= 0, got -1"},
		{"negative weight", &Options[int, int]{MaxWeight: -2}, "MaxWeight must be >= 0, got -2"},
		{"both bounds", &Options[int, int]{MaxEntries: 1, MaxWeight: 1, Weigher: w}, "only one"},
		{"weight without weigher", &Options[int, int]{MaxWeight: 10}, "Weigher is required"},
		{"weigher with entries", &Options[int, int]{MaxEntries: 10, Weigher: w}, "Weigher needs"},
		{"negative ttl", &Options[int, int]{MaxEntries: 1, TTL: -time.Second}, "TTL must be >= 0"},
		{"ttl and idle", &Options[int, int]{MaxEntries: 1, TTL: 1, ExpireAfterAccess: 1}, "only one of Options.TTL"},
		{"release priority too high", &Options[int, int]{MaxEntries: 1, ReleasePriority: resource.Critical + 1}, "ReleasePriority must be"},
		{"negative release priority", &Options[int, int]{MaxEntries: 1, ReleasePriority: -1}, "ReleasePriority must be"},
		{"ok release priority", &Options[int, int]{MaxEntries: 1, ReleasePriority: resource.Critical}, ""},
		{"policy without evictor", &Options[int, int]{MaxEntries: 1, Policy: policyFunc(func(int64) Evictor { return nil })}, "Options.Policy.NewEvictor returned nil"},
		{"ok entries", &Options[int, int]{MaxEntries: 1}, ""},
		{"ok weight", &Options[int, int]{MaxWeight: 5, Weigher: w, Policy: LFU()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New() error = %v, want nil", err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "cache: ") {
				t.Fatalf("New() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBasicOperations(t *testing.T) {
	for _, p := range policies() {
		t.Run("policy="+p.name, func(t *testing.T) {
			var r recorder
			c := newInt(t, &Options[int, int]{MaxEntries: 3, Policy: p.policy, OnEvict: r.onEvict})
			c.Set(1, 10)
			c.Set(2, 20)
			if v, ok := c.Get(1); !ok || v != 10 {
				t.Fatalf("Get(1) = %d, %v, want 10, true", v, ok)
			}
			c.Set(1, 11)
			if v, _ := c.Get(1); v != 11 {
				t.Fatalf("Get(1) after replace = %d, want 11", v)
			}
			if !c.Delete(2) || c.Delete(2) {
				t.Fatalf("Delete(2) twice: want true then false")
			}
			if _, ok := c.Get(2); ok {
				t.Fatalf("Get(2) after Delete hit")
			}
			want := []event{{1, 10, Replaced}, {2, 20, Deleted}}
			if !slices.Equal(r.events, want) {
				t.Fatalf("events = %v, want %v", r.events, want)
			}
			for i := range 10 {
				c.Set(100+i, i)
				if c.Len() > 3 {
					t.Fatalf("Len() = %d after Set, want <= 3", c.Len())
				}
			}
			s := c.Stats()
			if s.Entries != 3 || s.Weight != 3 || c.Len() != 3 || c.Weight() != 3 {
				t.Fatalf("Stats %+v Len %d Weight %d, want 3 entries", s, c.Len(), c.Weight())
			}
			if s.Hits != 2 || s.Misses != 1 || s.Evictions[Capacity] != 8 {
				t.Fatalf("Stats = %+v, want 2 hits, 1 miss, 8 capacity evictions", s)
			}
			c.Clear()
			if c.Len() != 0 {
				t.Fatalf("Len() after Clear = %d", c.Len())
			}
		})
	}
}

type namedPolicy struct {
	name   string
	policy Policy
}

func policies() []namedPolicy {
	return []namedPolicy{{"tinylfu", TinyLFU()}, {"lru", LRU()}, {"lfu", LFU()}, {"fifo", FIFO()}}
}

func TestWeightBound(t *testing.T) {
	for _, p := range policies() {
		t.Run("policy="+p.name, func(t *testing.T) {
			var r recorder
			c := newInt(t, &Options[int, int]{
				MaxWeight: 100, Weigher: func(_, v int) int64 { return int64(v) },
				Policy: p.policy, OnEvict: r.onEvict,
			})
			for i := range 50 {
				c.Set(i, i%17+1)
				if w := c.Weight(); w > 100 {
					t.Fatalf("Weight() = %d after Set(%d), want <= 100", w, i)
				}
			}
			c.Set(1000, 101) // heavier than the cache
			if _, ok := c.Get(1000); ok {
				t.Fatalf("entry heavier than MaxWeight was kept")
			}
			if last := r.events[len(r.events)-1]; last != (event{1000, 101, Capacity}) {
				t.Fatalf("last event = %v, want {1000 101 capacity}", last)
			}
			var sum int64
			for _, v := range c.All() {
				sum += int64(v)
			}
			if sum != c.Weight() {
				t.Fatalf("sum of weights = %d, Weight() = %d", sum, c.Weight())
			}
		})
	}
}

func TestResize(t *testing.T) {
	var r recorder
	c := newInt(t, &Options[int, int]{MaxEntries: 10, Policy: FIFO(), OnEvict: r.onEvict})
	for i := range 10 {
		c.Set(i, i)
	}
	if err := c.Resize(4, 0); err != nil {
		t.Fatalf("Resize: %v", err)
	}
	if err := c.ResizeForPressure(2, 0); err != nil {
		t.Fatalf("ResizeForPressure: %v", err)
	}
	want := []event{{0, 0, Capacity}, {1, 1, Capacity}, {2, 2, Capacity}, {3, 3, Capacity}, {4, 4, Capacity}, {5, 5, Capacity}, {6, 6, Pressure}, {7, 7, Pressure}}
	if !slices.Equal(r.events, want) {
		t.Fatalf("events = %v, want %v", r.events, want)
	}
	if n, w := c.Limits(); n != 2 || w != 0 {
		t.Fatalf("Limits() = %d, %d, want 2, 0", n, w)
	}
	for _, bad := range [][2]int64{{0, 0}, {-1, 0}, {2, 5}, {0, 5}} {
		if err := c.Resize(int(bad[0]), bad[1]); err == nil {
			t.Errorf("Resize(%d, %d) = nil, want error", bad[0], bad[1])
		}
	}
}

func TestCallbackMayReenter(t *testing.T) {
	var c *Cache[int, int]
	reentered := 0
	c = newInt(t, &Options[int, int]{MaxEntries: 1, OnEvict: func(k, v int, why Reason) {
		if why == Capacity && k > 0 {
			c.Get(k)     // read back: must miss without deadlock
			c.Set(-k, v) // write: evicts again, reported after this callback
			reentered++
		}
	}, Policy: LRU()})
	c.Set(1, 1)
	c.Set(2, 2)
	if reentered == 0 || c.Len() != 1 {
		t.Fatalf("reentered %d times, Len %d; want > 0 and 1", reentered, c.Len())
	}
}

func TestAllSkipsExpiredAndStops(t *testing.T) {
	c := newInt(t, &Options[int, int]{MaxEntries: 100})
	for i := range 10 {
		c.Set(i, i)
	}
	c.SetTTL(100, 100, time.Nanosecond) // expires at once
	seen := map[int]int{}
	for k, v := range c.All() {
		seen[k] = v
	}
	if len(seen) != 10 || seen[100] != 0 {
		t.Fatalf("All() yielded %v, want the 10 live entries", seen)
	}
	n := 0
	for range c.All() {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("break after 3 yielded %d", n)
	}
}

func TestClosedCache(t *testing.T) {
	var r recorder
	c := newInt(t, &Options[int, int]{MaxEntries: 4, OnEvict: r.onEvict})
	c.Set(1, 1)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c.Set(2, 2)
	if _, ok := c.Get(1); ok || c.Len() != 0 {
		t.Fatalf("closed cache still holds entries")
	}
	if want := []event{{1, 1, Deleted}}; !slices.Equal(r.events, want) {
		t.Fatalf("events = %v, want %v", r.events, want)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestReasonString(t *testing.T) {
	got := fmt.Sprint(Capacity, Expired, Deleted, Replaced, Pressure, Reason(9))
	if want := "capacity expired deleted replaced pressure Reason(9)"; got != want {
		t.Fatalf("reasons = %q, want %q", got, want)
	}
}

// TestNoAllocations checks that hits, misses and replacing Sets allocate
// nothing, and inserting allocates only when the slot table grows.
func TestNoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := newInt(t, &Options[int, int]{MaxEntries: 4096})
	for i := range 4096 {
		c.Set(i, i)
	}
	tests := []struct {
		name string
		op   func(i int)
	}{
		{"Get hit", func(i int) { c.Get(i % 4096) }},
		{"Get miss", func(i int) { c.Get(-1 - i) }},
		{"Set replace", func(i int) { c.Set(i%4096, i) }},
		{"Set evict", func(i int) { c.Set(5000+i, i) }},
	}
	for _, tt := range tests {
		i := 0
		if got := testing.AllocsPerRun(1000, func() { tt.op(i); i++ }); got > 0.01 {
			t.Errorf("%s: %.2f allocations per call, want 0", tt.name, got)
		}
	}
}

func TestNaNKeyIgnored(t *testing.T) {
	c, err := New(&Options[float64, int]{MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nan := math.NaN()
	c.Set(nan, 1)
	c.Set(1.5, 2)
	c.Set(2.5, 3)
	c.Set(3.5, 4) // evicts: must not trip over a NaN entry
	if _, ok := c.Get(nan); ok || c.Len() != 2 {
		t.Fatalf("Get(NaN) hit or Len() = %d, want a miss and 2", c.Len())
	}
}
