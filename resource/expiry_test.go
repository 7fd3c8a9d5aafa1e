package resource_test

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

func TestTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r := newRegistry(t, &resource.Options{Observer: rec})
		start := time.Now()
		done := make(chan time.Duration, 3)
		for _, ttl := range []time.Duration{3 * time.Minute, time.Minute, 2 * time.Minute} {
			mustRegister(t, r, func(context.Context) error { done <- time.Since(start); return nil },
				resource.WithTTL(ttl), resource.WithKind("ttl"))
		}
		never := mustRegister(t, r, func(context.Context) error { t.Error("untimed resource expired"); return nil })
		advance(59 * time.Second)
		if r.Len() != 4 {
			t.Fatalf("Len = %d before any TTL, want 4", r.Len())
		}
		for _, want := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute} {
			if got := <-done; got != want {
				t.Errorf("expired at %v, want %v", got, want)
			}
		}
		synctest.Wait()
		if s := r.Stats(); s.Expired != 3 || s.Live != 1 {
			t.Errorf("Stats expired %d live %d; want 3 1", s.Expired, s.Live)
		}
		if n := rec.count(resource.Expired); n != 3 {
			t.Errorf("Expired events = %d, want 3", n)
		}
		if err := r.Detach(never); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIdleTimeoutTouch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, nil)
		start := time.Now()
		done := make(chan time.Duration, 1)
		g, err := resource.Track(r, 1, func(context.Context, int) error { done <- time.Since(start); return nil },
			resource.WithIdleTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		advance(5 * time.Second)
		g.Touch()
		advance(7 * time.Second) // 12s: would have expired at 10s without the Touch
		if err := r.Touch(g.ID()); err != nil {
			t.Fatal(err)
		}
		if in, ok := r.Info(g.ID()); !ok || in.State != resource.StateLive || in.LastTouch.Sub(start) != 12*time.Second {
			t.Fatalf("Info at 12s = %+v, %v; want live, touched at 12s", in, ok)
		}
		if got := <-done; got != 22*time.Second {
			t.Errorf("idle expiry at %v, want 22s", got)
		}
		if err := g.Release(context.Background()); err == nil {
			t.Error("Release after expiry succeeded")
		}
	})
}

// TestTTLAndIdle: whichever comes first wins; a release cancels the timer.
func TestTTLAndIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, nil)
		start := time.Now()
		done := make(chan time.Duration, 1)
		g, err := resource.Track(r, 1, func(context.Context, int) error { done <- time.Since(start); return nil },
			resource.WithIdleTimeout(10*time.Second), resource.WithTTL(25*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			advance(8 * time.Second)
			g.Touch()
		}
		if got := <-done; got != 25*time.Second {
			t.Errorf("expired at %v, want the TTL, 25s", got)
		}
		released := mustRegister(t, r, func(context.Context) error { return nil }, resource.WithTTL(time.Second))
		if err := r.Release(context.Background(), released); err != nil {
			t.Fatal(err)
		}
		advance(2 * time.Second)
		if s := r.Stats(); s.Expired != 1 || s.Succeeded != 2 {
			t.Errorf("Stats expired %d succeeded %d; want 1 2", s.Expired, s.Succeeded)
		}
	})
}

// TestHugeDurations: a duration too long to ever elapse (math.MaxInt64, the
// usual "no limit") as a TTL, idle timeout or cleanup timeout means never,
// not an overflowed due time in the past.
func TestHugeDurations(t *testing.T) {
	const forever = time.Duration(math.MaxInt64)
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{CleanupTimeout: forever, MaxAttempts: 1})
		advance(time.Second) // the registry clock is past 0
		expired := func(context.Context) error { t.Error("resource with a huge TTL or idle timeout expired"); return nil }
		ttl := mustRegister(t, r, expired, resource.WithTTL(forever))
		idle := mustRegister(t, r, expired, resource.WithIdleTimeout(forever))
		c := &counter{}
		mustRegister(t, r, c.fn("minute"), resource.WithTTL(time.Minute))
		advance(time.Hour)
		synctest.Wait()
		if c.get("minute") != 1 {
			t.Error("a resource with a one-minute TTL did not expire within the hour")
		}
		for _, id := range []resource.ID{ttl, idle} {
			if err := r.Detach(id); err != nil {
				t.Errorf("Detach(%v) = %v: it expired", id, err)
			}
		}
		ctxErr := func(ctx context.Context) error { return ctx.Err() }
		for _, opts := range [][]resource.Option{nil, {resource.WithCleanupTimeout(forever)}} {
			id := mustRegister(t, r, ctxErr, opts...)
			if err := r.Release(context.Background(), id); err != nil {
				t.Errorf("Release with a huge cleanup timeout (%d options) = %v", len(opts), err)
			}
		}
	})
}
