package cache

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/pressure/pressuretest"
)

// TestPressureShrinksAndGrowsBack: the bound follows the pressure level
// (80/50/25% of the configured one), evictions report Reason Pressure, and
// at Normal the cache grows back by a quarter of its bound per interval.
func TestPressureShrinksAndGrowsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		var mu sync.Mutex
		reasons := map[Reason]int{}
		c, err := New(&Options[int, int]{MaxEntries: 100, Policy: LRU(), Pressure: mon,
			OnEvict: func(_, _ int, why Reason) { mu.Lock(); reasons[why]++; mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := range 100 {
			c.Set(i, i)
		}
		check := func(step string, wantBound, wantLen, wantPressureEvictions int) {
			t.Helper()
			synctest.Wait()
			if got, _ := c.Limits(); got != wantBound {
				t.Errorf("%s: bound %d, want %d", step, got, wantBound)
			}
			if got := c.Len(); got != wantLen {
				t.Errorf("%s: Len %d, want %d", step, got, wantLen)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := reasons[Pressure]; got != wantPressureEvictions || len(reasons) != 1 {
				t.Errorf("%s: OnEvict reasons %v, want only %d × Pressure", step, reasons, wantPressureEvictions)
			}
			if got := c.Stats().Evictions[Pressure]; got != uint64(wantPressureEvictions) {
				t.Errorf("%s: Stats().Evictions[Pressure] = %d, want %d", step, got, wantPressureEvictions)
			}
		}
		mon.Set(pressure.High)
		check("High", 50, 50, 50)
		if _, ok := c.Get(99); !ok {
			t.Error("High evicted the most recent entry; LRU should keep it")
		}
		advance(time.Second)
		mon.Set(pressure.Moderate) // never grows under pressure
		check("Moderate after High", 50, 50, 50)
		advance(time.Second)
		mon.Set(pressure.Critical)
		check("Critical", 25, 25, 75)

		advance(time.Second)
		mon.Set(pressure.Normal) // a first step at once, then one per interval
		check("Normal", 50, 25, 75)
		advance(time.Second)
		check("Normal +1s", 75, 25, 75)
		advance(time.Second)
		check("Normal +2s", 100, 25, 75)
		for i := range 100 {
			c.Set(1000+i, i)
		}
		if got := c.Len(); got != 100 {
			t.Errorf("after growing back: Len %d, want the full 100", got)
		}
		advance(10 * time.Second) // no timer left once at the full bound
		synctest.Wait()
	})
}

// TestPressureResizeKeepsShare: a Resize under pressure changes the
// configured bound; the pressure share still applies to it.
func TestPressureResizeKeepsShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		c, err := New(&Options[int, int]{MaxWeight: 1000, Weigher: func(int, int) int64 { return 10 }, Pressure: mon})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		mon.Set(pressure.High)
		synctest.Wait()
		if err := c.Resize(0, 400); err != nil {
			t.Fatal(err)
		}
		if _, w := c.Limits(); w != 200 {
			t.Errorf("Resize(0, 400) at High: bound %d, want 200 (50%%)", w)
		}
	})
}

// TestPressureCompacts: each pressure step that leaves at most half of the
// slots holding entries moves the entries down and gives the rest back
// (compactLocked), and the cache grows back and works once the pressure is
// gone.
func TestPressureCompacts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		const n = 4 * compactMinSlots
		c, err := New(&Options[int, int]{MaxEntries: n, Pressure: mon})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for k := range n {
			c.Set(k, -k)
		}
		slots := func() uint32 {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.slots
		}
		for _, step := range []struct {
			level pressure.Level
			want  uint32 // slots
		}{
			{pressure.Moderate, n}, // 80% of the entries left: nothing moves
			{pressure.High, n / 2},
			{pressure.Critical, n / 4},
		} {
			mon.Set(step.level)
			synctest.Wait()
			if got := slots(); got != step.want {
				t.Errorf("at %v: %d slots for %d entries, want %d", step.level, got, c.Len(), step.want)
			}
			advance(time.Second)
		}
		for k, v := range c.All() {
			if v != -k {
				t.Fatalf("after compaction, entry %d holds %d, want %d", k, v, -k)
			}
		}
		mon.Set(pressure.Normal)
		advance(4 * time.Second) // grown back to the full bound
		synctest.Wait()
		for k := range n {
			c.Set(n+k, k)
		}
		if got := c.Len(); got != n {
			t.Errorf("after growing back: Len %d, want the full %d", got, n)
		}
		if v, ok := c.Get(2*n - 1); !ok || v != n-1 {
			t.Errorf("Get(%d) = %d, %v after growing back; want %d, true", 2*n-1, v, ok, n-1)
		}
	})
}
