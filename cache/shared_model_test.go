package cache

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"

	"pgregory.net/rapid"
)

type sharedOp struct {
	kind     string
	key, val int
}

// TestSharedValuesModel: values holding resources are stored under several
// keys, replaced, deleted, evicted (4 entries, 6 keys), cleared and
// reclaimed in random order, with entries moved between slots whenever one
// is free (compactLocked). After every operation, once the registry's
// workers are idle, a value is closed exactly once if it has left the cache
// under every key and never while a key still returns it; after Close and
// Shutdown every value that was stored is closed exactly once.
func TestSharedValuesModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		op := rapid.Custom(func(t *rapid.T) sharedOp {
			return sharedOp{
				kind: rapid.SampledFrom([]string{"Set", "Set", "Set", "Delete", "Clear", "Reclaim", "ReleaseMatching"}).Draw(t, "kind"),
				key:  rapid.IntRange(0, 5).Draw(t, "key"),
				val:  rapid.IntRange(0, 3).Draw(t, "val"),
			}
		})
		ops := rapid.SliceOfN(op, 1, 60).Draw(rt, "ops")
		p := rapid.SampledFrom([]Policy{nil, LRU(), LFU()}).Draw(rt, "policy") // nil: TinyLFU
		weighted := rapid.Bool().Draw(rt, "weighted")                          // values have a size: Reclaim takes them
		var failure string
		synctest.Test(t, func(t *testing.T) { failure = runSharedModel(t, p, weighted, ops) })
		if failure != "" {
			rt.Fatal(failure)
		}
	})
}

func runSharedModel(t *testing.T, p Policy, weighted bool, ops []sharedOp) string {
	reg := newRegistry(t)
	defer func() { _ = reg.Shutdown(context.Background()) }() // idempotent: for early returns
	o := &Options[int, *conn]{MaxEntries: 4, Registry: reg, Policy: p}
	if weighted {
		o.MaxEntries, o.MaxWeight, o.Weigher = 0, 4, func(int, *conn) int64 { return 1 }
	}
	c, err := New(o)
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	c.compactEager = true // entries and their registrations move between slots
	var vals []*conn      // every value ever stored
	set := map[*conn]bool{}
	pool := make([]*conn, 4) // the values the next Sets choose from
	check := func(step int) string {
		synctest.Wait()
		held := map[*conn]bool{}
		for _, v := range c.All() {
			held[v] = true
		}
		for _, v := range vals {
			n := v.closes.Load()
			switch {
			case held[v] && n != 0:
				return fmt.Sprintf("step %d: %s closed %d times while still cached", step, v.name, n)
			case !held[v] && n != 1:
				return fmt.Sprintf("step %d: %s left the cache and was closed %d times, want 1", step, v.name, n)
			}
		}
		for i, v := range pool { // a value that left may not be stored again
			if v != nil && set[v] && !held[v] {
				pool[i] = nil
			}
		}
		return ""
	}
	for step, o := range ops {
		switch o.kind {
		case "Set":
			v := pool[o.val]
			if v == nil {
				v = &conn{name: fmt.Sprintf("v%d", len(vals))}
				pool[o.val] = v
			}
			if !set[v] {
				set[v] = true
				vals = append(vals, v)
			}
			c.Set(o.key, v)
		case "Delete":
			c.Delete(o.key)
		case "Clear":
			c.Clear()
		case "Reclaim":
			if _, err := reg.Reclaim(context.Background(), 0); err != nil {
				return fmt.Sprintf("step %d: Reclaim: %v", step, err)
			}
			if n := c.Len(); weighted && n != 0 {
				return fmt.Sprintf("step %d: Reclaim of every sized value left %d entries", step, n)
			}
		case "ReleaseMatching":
			if err := reg.ReleaseMatching(context.Background(), isCacheValue); err != nil {
				return fmt.Sprintf("step %d: ReleaseMatching: %v", step, err)
			}
			if n := c.Len(); n != 0 {
				return fmt.Sprintf("step %d: ReleaseMatching of every value left %d entries", step, n)
			}
		}
		if f := check(step); f != "" {
			return f
		}
	}
	c.Close()
	if err := reg.Shutdown(context.Background()); err != nil {
		return fmt.Sprintf("Shutdown: %v", err)
	}
	synctest.Wait()
	for _, v := range vals {
		if n := v.closes.Load(); n != 1 {
			return fmt.Sprintf("after Close: %s closed %d times, want 1", v.name, n)
		}
	}
	return ""
}
