package cache

import (
	"fmt"
	"strings"
	"testing"
)

// brokenEvictor claims to track nothing: its Victim breaks the Evictor
// contract as soon as the cache is over its bound.
type brokenEvictor struct{ Evictor }

func (brokenEvictor) Victim() (uint32, bool) { return 0, false }

type brokenPolicy struct{}

func (brokenPolicy) NewEvictor(capacity int64) Evictor {
	return brokenEvictor{LRU().NewEvictor(capacity)}
}

// TestPolicyBugReleasesLock checks that when an Evictor breaks its
// contract the cache panics without keeping its maintenance lock, so that
// a program that recovers can still use, Clear and Close the cache.
func TestPolicyBugReleasesLock(t *testing.T) {
	c, err := New(&Options[int, int]{MaxEntries: 1, Policy: brokenPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	c.Set(1, 1)
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "Evictor.Victim()") {
				t.Errorf("Set over the bound with a broken Evictor: recovered %v, want the cache's policy-bug panic", r)
			}
		}()
		c.Set(2, 2)
	}()
	if !c.mu.TryLock() {
		t.Fatal("the maintenance lock is still held after the panic: every later Set and Close would deadlock")
	}
	c.mu.Unlock()
	if v, ok := c.Get(1); !ok || v != 1 {
		t.Errorf("Get(1) after the panic = %d, %v; want 1, true", v, ok)
	}
	c.Clear()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
