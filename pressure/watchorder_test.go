package pressure

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// TestWatchNeverYieldsAStaleLevel: Watch yields the current level first and
// then the changes after it, so once it has yielded a level it never goes
// back to one that was current before. A monitor at High is moved to
// Critical by a Set racing with the start of a Watch: the Watch may yield
// [high], [high critical] or [critical], never critical followed by the
// high it replaced (Interval is an hour, so nothing else is delivered).
// The race is retried for a few seconds of wall-clock time.
func TestWatchNeverYieldsAStaleLevel(t *testing.T) {
	deadline := time.Now().Add(2 * time.Second)
	runs, stale := 0, 0
	for stale == 0 && time.Now().Before(deadline) {
		runs++
		synctest.Test(t, func(t *testing.T) {
			m := newFakeMonitor(t, &fakeRuntime{}, Options{Interval: time.Hour, Calm: time.Hour})
			defer m.Close()
			m.Set(High)
			ctx, cancel := context.WithCancel(context.Background())
			var got []Level
			done := make(chan struct{})
			for range 4 { // more chances to land between Subscribe and Level
				go m.Set(Critical)
			}
			go func() {
				defer close(done)
				for l := range m.Watch(ctx) {
					got = append(got, l)
				}
			}()
			synctest.Wait()
			cancel()
			<-done
			switch fmt.Sprint(got) {
			case "[high]", "[high critical]", "[critical]":
			default:
				stale++
				if stale == 1 {
					t.Errorf("Watch yielded %v; want [high], [high critical] or [critical]", got)
				}
			}
		})
	}
	t.Logf("%d runs, %d stale", runs, stale)
}

// TestWatchStartedUnderPressure: a Watch started above Normal yields that
// level first and then the return to Normal.
func TestWatchStartedUnderPressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newFakeMonitor(t, &fakeRuntime{}, Options{Interval: time.Second, Calm: time.Hour})
		m.Set(High)
		ctx, cancel := context.WithCancel(context.Background())
		var got []Level
		done := make(chan struct{})
		go func() {
			defer close(done)
			for l := range m.Watch(ctx) {
				got = append(got, l)
			}
		}()
		synctest.Wait()
		m.Set(Normal)
		synctest.Wait()
		cancel()
		<-done
		if fmt.Sprint(got) != "[high normal]" {
			t.Errorf("Watch yielded %v, want [high normal]", got)
		}
	})
}
