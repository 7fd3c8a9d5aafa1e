package pressure

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestIdleSubscriptionHasNoGoroutine: a delivery goroutine exists only
// while a level is due or the interval after a delivery runs; then it ends
// and the subscription costs nothing but its record.
func TestIdleSubscriptionHasNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newFakeMonitor(t, &fakeRuntime{}, Options{Interval: time.Second, Calm: time.Hour})
		var rec recorder
		defer m.Subscribe(rec.add)()
		synctest.Wait()
		if delivering(t, m) {
			t.Fatal("a subscription at Normal has a delivery goroutine")
		}
		m.Set(High)
		synctest.Wait()
		if !delivering(t, m) {
			t.Fatal("no delivery goroutine during the interval after a delivery")
		}
		advance(time.Second)
		synctest.Wait()
		if delivering(t, m) {
			t.Error("the delivery goroutine outlived the interval with nothing to deliver")
		}
		if got := rec.got(); len(got) != 1 || got[0] != High {
			t.Errorf("subscriber saw %v, want [high]", got)
		}
	})
}

// TestStopFromRuntimeCleanup: stop may be called from any goroutine, here
// the runtime's cleanup goroutine, outside the test's bubble (the cache
// ends the subscription of a cache dropped unclosed that way). It touches
// no channel or timer of the bubble, so it does not panic; it removes the
// subscription, and fn is not called after it.
func TestStopFromRuntimeCleanup(t *testing.T) {
	stopped := make(chan struct{}) // outside the bubble, like the cleanup goroutine
	synctest.Test(t, func(t *testing.T) {
		m := newFakeMonitor(t, &fakeRuntime{}, Options{Interval: time.Second, Calm: time.Hour})
		var rec recorder
		func() {
			owner := new([64]byte)
			stop := m.Subscribe(rec.add)
			runtime.AddCleanup(owner, func(stop func()) { stop(); close(stopped) }, stop)
			m.Set(High) // a delivery goroutine is now waiting out its interval
			synctest.Wait()
		}()
		for range 3 {
			runtime.GC()
		}
		<-stopped
		if n := subscriptions(m); n != 0 {
			t.Errorf("%d subscriptions after stop, want 0", n)
		}
		m.Set(Critical)
		advance(2 * time.Second)
		synctest.Wait()
		if got := rec.got(); len(got) != 1 || got[0] != High {
			t.Errorf("subscriber saw %v, want only [high] (nothing after stop)", got)
		}
	})
}

// delivering reports whether m's single subscriber has a delivery
// goroutine.
func delivering(t *testing.T, m *Monitor) bool {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.subs) != 1 {
		t.Fatalf("%d subscribers, want 1", len(m.subs))
	}
	for s := range m.subs {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.running
	}
	return false
}

// TestSubscribeNilFnPanicsAtOnce: a nil fn is refused by Subscribe itself,
// naming the argument. Accepted, it would crash the process later, on a
// delivery goroutine with none of the caller's frames, at the first level
// above Normal: the moment memory runs short.
func TestSubscribeNilFnPanicsAtOnce(t *testing.T) {
	m := newFakeMonitor(t, &fakeRuntime{}, Options{Interval: time.Second, Calm: time.Hour})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "nil fn") {
			t.Errorf("Subscribe(nil) panicked with %v, want a panic naming the nil fn", r)
		}
		if n := subscriptions(m); n != 0 {
			t.Errorf("Subscribe(nil) left %d subscriptions, want 0", n)
		}
	}()
	m.Subscribe(nil)
}

// subscriptions returns how many subscriptions m holds.
func subscriptions(m *Monitor) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.subs)
}
