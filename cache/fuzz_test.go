package cache

import (
	"testing"
)

// FuzzPolicy drives every built-in policy (and both bound kinds) with a
// random operation sequence and checks what must hold for any Evictor: the
// bound is never exceeded, no evicted or deleted key is returned, and OnEvict
// is called exactly once per removed entry (tracked by a model of the
// cache's contents built only from Set and OnEvict). Bit 3 of the first
// byte makes the cache move entries between slots whenever one is free.
func FuzzPolicy(f *testing.F) {
	f.Add([]byte{0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{1, 1, 0, 0, 0, 0, 1, 1, 1, 1})
	f.Add([]byte{6, 9, 200, 17, 33, 4, 90, 120, 7, 7, 7, 64, 3})
	f.Add([]byte{3, 0, 5, 5, 5, 5, 5, 70, 71, 200, 201, 202})
	f.Add([]byte{9, 7, 1, 2, 3, 4, 5, 6, 7, 8, 97, 98, 99, 100, 1, 2, 150, 3, 4}) // compacting
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		pol := policies()[data[0]%4]
		weighted := data[0]&4 != 0
		capacity := int64(data[1]%16) + 1
		model := map[int]int{}
		replaced := -1 // value a Set may replace, or -1
		var c *Cache[int, int]
		o := &Options[int, int]{Policy: pol.policy, OnEvict: func(k, v int, why Reason) {
			if why == Replaced {
				if v != replaced {
					t.Fatalf("OnEvict(%d, %d, replaced): want old value %d", k, v, replaced)
				}
				replaced = -1
				return
			}
			mv, ok := model[k]
			if !ok || mv != v {
				t.Fatalf("OnEvict(%d, %d, %v): model holds %d, %v", k, v, why, mv, ok)
			}
			delete(model, k)
		}}
		if weighted {
			o.MaxWeight = capacity * 4
			o.Weigher = func(_, v int) int64 { return int64(v % 8) }
		} else {
			o.MaxEntries = int(capacity)
		}
		c, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.compactEager = data[0]&8 != 0 // entries move between slots whenever one is free
		for i, b := range data[2:] {
			k, v := int(b%32), i
			switch b >> 5 {
			case 0, 1, 2:
				if old, ok := model[k]; ok {
					replaced = old
				}
				model[k] = v
				c.Set(k, v)
				if replaced != -1 {
					t.Fatalf("op %d: Set(%d) did not report the replaced value %d", i, k, replaced)
				}
			case 3, 4:
				got, ok := c.Get(k)
				mv, mok := model[k]
				if ok != mok || got != mv {
					t.Fatalf("op %d: Get(%d) = %d, %v, model %d, %v", i, k, got, ok, mv, mok)
				}
			case 5:
				_, mok := model[k]
				if got := c.Delete(k); got != mok {
					t.Fatalf("op %d: Delete(%d) = %v, want %v", i, k, got, mok)
				}
			case 6:
				n := int64(b%16) + 1
				if weighted {
					err = c.Resize(0, n*4)
				} else {
					err = c.Resize(int(n), 0)
				}
				if err != nil {
					t.Fatal(err)
				}
				capacity = n
			case 7:
				if b%8 == 0 {
					c.Clear()
				} else {
					c.drain()
				}
			}
			checkBound(t, c, weighted, capacity)
			if c.Len() != len(model) {
				t.Fatalf("op %d: Len() = %d, model has %d", i, c.Len(), len(model))
			}
		}
		n := 0
		for k, v := range c.All() {
			if mv, ok := model[k]; !ok || mv != v {
				t.Fatalf("All() yielded %d=%d, model %d, %v", k, v, mv, ok)
			}
			n++
		}
		if n != len(model) {
			t.Fatalf("All() yielded %d entries, model has %d", n, len(model))
		}
		c.Clear()
		if len(model) != 0 {
			t.Fatalf("Clear left %d entries unreported", len(model))
		}
	})
}

func checkBound(t testing.TB, c *Cache[int, int], weighted bool, capacity int64) {
	t.Helper()
	if weighted {
		if w := c.Weight(); w > capacity*4 {
			t.Fatalf("Weight() = %d over MaxWeight %d", w, capacity*4)
		}
		return
	}
	if n := int64(c.Len()); n > capacity {
		t.Fatalf("Len() = %d over MaxEntries %d", n, capacity)
	}
}
