package resource_test

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/pressure/pressuretest"
	"github.com/patinox/memory/resource"
)

func TestPressureReclaims(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		rec := &recorder{}
		r := newRegistry(t, &resource.Options{Pressure: mon, Observer: rec})
		c := &counter{}
		for _, name := range []string{"a", "b", "c", "d"} {
			mustRegister(t, r, c.fn(name), resource.Reclaimable(), resource.WithSize(100))
			advance(time.Millisecond) // oldest reclaimed first (within a coarse-clock tick, first registered)
		}
		mustRegister(t, r, c.fn("critical"), resource.Reclaimable(), resource.WithSize(100), resource.WithPriority(resource.Critical))
		mustRegister(t, r, c.fn("pinned"), resource.WithSize(1000))

		mon.Set(pressure.Moderate) // 10% of 400 reclaimable bytes: one resource
		synctest.Wait()
		if got := c.seq(); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("after Moderate reclaimed %v, want [a]", got)
		}
		advance(time.Second)   // one notification per interval
		mon.Set(pressure.High) // 50% of the 300 left: two more
		synctest.Wait()
		if got := c.seq(); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("after High reclaimed %v, want [a b c]", got)
		}
		advance(time.Second)
		mon.Set(pressure.Critical) // everything reclaimable, never Critical-priority
		synctest.Wait()
		if got := c.seq(); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
			t.Fatalf("after Critical reclaimed %v, want [a b c d]", got)
		}
		if n := rec.count(resource.Reclaimed); n != 4 {
			t.Errorf("%d Reclaimed events, want 4", n)
		}
		if s := r.Stats(); s.Live != 2 || s.Reclaimed != 4 {
			t.Errorf("Stats live %d reclaimed %d, want 2 and 4", s.Live, s.Reclaimed)
		}
	})
}

func TestPressureNormalReclaimsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		r := newRegistry(t, &resource.Options{Pressure: mon})
		c := &counter{}
		mustRegister(t, r, c.fn("a"), resource.Reclaimable(), resource.WithSize(100))
		mon.Set(pressure.High)
		synctest.Wait()
		advance(time.Second)
		mustRegister(t, r, c.fn("b"), resource.Reclaimable(), resource.WithSize(100))
		mon.Set(pressure.Normal)
		synctest.Wait()
		advance(time.Second)
		synctest.Wait()
		if got := c.seq(); !slices.Equal(got, []string{"a"}) {
			t.Errorf("reclaimed %v, want only [a] (nothing at Normal)", got)
		}
	})
}

// TestPressureUnsizedOnlyAtCritical: resources without WithSize count for
// nothing in the Moderate and High budgets; only Critical reclaims them.
func TestPressureUnsizedOnlyAtCritical(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		r := newRegistry(t, &resource.Options{Pressure: mon})
		c := &counter{}
		mustRegister(t, r, c.fn("unsized"), resource.Reclaimable())
		mon.Set(pressure.High)
		synctest.Wait()
		if got := c.seq(); len(got) != 0 {
			t.Fatalf("High reclaimed %v, want nothing (no sized reclaimable bytes)", got)
		}
		advance(time.Second)
		mon.Set(pressure.Critical)
		synctest.Wait()
		if got := c.seq(); !slices.Equal(got, []string{"unsized"}) {
			t.Errorf("Critical reclaimed %v, want [unsized]", got)
		}
	})
}

// TestPressureBudgetSkipsUnsized: at High the budget is the sized bytes'
// share; an unsized resource that comes first in Reclaim's order must not
// be released on the way (it frees nothing the budget counts). Only
// Critical reclaims it.
func TestPressureBudgetSkipsUnsized(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mon := pressuretest.Manual(t)
		r := newRegistry(t, &resource.Options{Pressure: mon})
		c := &counter{}
		mustRegister(t, r, c.fn("unsized"), resource.Reclaimable(), resource.WithPriority(resource.Low))
		mustRegister(t, r, c.fn("sized"), resource.Reclaimable(), resource.WithSize(100))
		mustRegister(t, r, c.fn("sized-high"), resource.Reclaimable(), resource.WithSize(100), resource.WithPriority(resource.High))
		mon.Set(pressure.High) // 50% of 200 sized bytes: one resource
		synctest.Wait()
		if got := c.seq(); !slices.Equal(got, []string{"sized"}) {
			t.Fatalf("High reclaimed %v, want [sized]", got)
		}
		advance(time.Second)
		mon.Set(pressure.Critical)
		synctest.Wait()
		if got := c.seq(); !slices.Equal(got, []string{"sized", "unsized", "sized-high"}) {
			t.Errorf("then Critical reclaimed %v, want [sized unsized sized-high]", got)
		}
	})
}
