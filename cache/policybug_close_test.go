package cache

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/resource"
)

// panicConn is a tracked value whose Close may panic.
type panicConn struct {
	name   string
	panics bool
	closes atomic.Int32
}

func (p *panicConn) Close() error {
	p.closes.Add(1)
	if p.panics {
		panic("Close of " + p.name + " panicked")
	}
	return nil
}

// TestPolicyBugPanickingCloseKeepsPanic: as
// TestPolicyBugAfterRegistrationReleased, with a value whose Close panics
// when policyBug closes it: the caller must still recover the policy-bug
// panic (which names the broken Evictor), not the Close's in its place.
func TestPolicyBugPanickingCloseKeepsPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(&Options[string, *panicConn]{MaxEntries: 1, Policy: brokenPolicy{}, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		a, v := &panicConn{name: "a"}, &panicConn{name: "v", panics: true}
		c.Set("a", a)
		recovered := setReleasedBeforeStore(t, reg, c, "v", v)
		if msg := fmt.Sprint(recovered); !strings.Contains(msg, "Evictor.Victim()") || !strings.Contains(msg, "Close of v panicked") {
			t.Errorf("Set: recovered %v, want the policy-bug panic naming Close's", recovered)
		}
		if n := v.closes.Load(); n != 1 {
			t.Errorf("v closed %d times, want 1", n)
		}
		c.tracker.registered = nil
		c.Close()
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		synctest.Wait()
		if n := a.closes.Load(); n != 1 {
			t.Errorf("a closed %d times, want 1", n)
		}
	})
}

// TestPolicyBugAfterHeavyReleasedBeforeStored: the cache is over its
// bound after an earlier policy-bug panic; a Set of a value heavier than
// MaxWeight, whose registration the registry released before the store,
// evicts it at once and then meets the broken Evictor again. Nothing
// holds v any more: policyBug must close it, once.
func TestPolicyBugAfterHeavyReleasedBeforeStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		reg, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		weigh := func(k string, _ *conn) int64 {
			if k == "v" {
				return 5
			}
			return 1
		}
		c, err := New(&Options[string, *conn]{MaxWeight: 1, Weigher: weigh, Policy: brokenPolicy{}, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		a, b, v := &conn{name: "a"}, &conn{name: "b"}, &conn{name: "v"}
		c.Set("a", a)
		setRecovering := func(k string, x *conn) (recovered any) {
			defer func() { recovered = recover() }()
			c.Set(k, x)
			return nil
		}
		if r := setRecovering("b", b); !strings.Contains(fmt.Sprint(r), "Evictor.Victim()") {
			t.Fatalf("Set(b): recovered %v, want the policy-bug panic", r)
		}
		p := &parkOnRegister{parked: make(chan parkedSet)}
		c.tracker.registered = p.registered
		var wg sync.WaitGroup
		var recovered any
		wg.Go(func() { recovered = setRecovering("v", v) })
		set := <-p.parked
		if err := reg.Release(bg, set.id); err != nil {
			t.Fatal(err)
		}
		close(set.gate)
		wg.Wait()
		if !strings.Contains(fmt.Sprint(recovered), "Evictor.Victim()") {
			t.Fatalf("Set(v): recovered %v, want the policy-bug panic", recovered)
		}
		synctest.Wait()
		if n := v.closes.Load(); n != 1 {
			t.Errorf("v closed %d times once the Set panicked, want 1", n)
		}
		c.tracker.registered = nil
		c.Close()
		if err := reg.Shutdown(bg); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		synctest.Wait()
		for _, x := range []*conn{a, b, v} {
			if n := x.closes.Load(); n != 1 {
				t.Errorf("%s closed %d times, want 1", x.name, n)
			}
		}
	})
}
