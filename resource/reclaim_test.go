package resource_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

func TestReclaimOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r := newRegistry(t, &resource.Options{Observer: rec})
		c := &counter{}
		reg := func(name string, opts ...resource.Option) resource.ID {
			return mustRegister(t, r, c.fn(name), opts...)
		}
		reg("critical", resource.Reclaimable(), resource.WithPriority(resource.Critical), resource.WithSize(1000))
		reg("not-reclaimable", resource.WithPriority(resource.Low), resource.WithSize(1000))
		reg("high", resource.Reclaimable(), resource.WithPriority(resource.High), resource.WithSize(10))
		reg("normal-old", resource.Reclaimable(), resource.WithSize(10))
		advance(time.Second)
		reg("normal-new-big", resource.Reclaimable(), resource.WithSize(100))
		reg("normal-new-small", resource.Reclaimable(), resource.WithSize(1))
		reg("low", resource.Reclaimable(), resource.WithPriority(resource.Low), resource.WithSize(10))
		reg("high-idle", resource.Reclaimable(), resource.WithPriority(resource.High), resource.WithSize(10),
			resource.WithIdleTimeout(time.Hour))
		var shrunk int64
		reg("shrinker", resource.ReclaimWith(func(context.Context) (int64, error) { shrunk += 7; return 7, nil }),
			resource.WithPriority(resource.Low))
		freed, err := r.Reclaim(context.Background(), 25)
		if err != nil {
			t.Fatal(err)
		}
		// Low first: "low" (10, older than shrinker) then shrinker (7), then
		// normal-old (10) reaches 27 >= 25.
		if want := []string{"low", "normal-old"}; !slices.Equal(c.seq(), want) {
			t.Errorf("reclaimed %v, want %v", c.seq(), want)
		}
		if freed != 27 || shrunk != 7 {
			t.Errorf("freed %d (shrunk %d), want 27 (7)", freed, shrunk)
		}
		freed, err = r.Reclaim(context.Background(), 0) // everything reclaimable
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"low", "normal-old", "normal-new-big", "normal-new-small", "high", "high-idle"}
		if !slices.Equal(c.seq(), want) {
			t.Errorf("reclaimed %v, want %v", c.seq(), want)
		}
		if freed != 100+1+10+10+7 {
			t.Errorf("freed %d, want 128", freed)
		}
		if s := r.Stats(); s.Reclaimed != 8 || s.Live != 3 {
			t.Errorf("Stats reclaimed %d live %d, want 8 3", s.Reclaimed, s.Live)
		}
		if n := rec.count(resource.Reclaimed); n != 8 {
			t.Errorf("Reclaimed events %d, want 8", n)
		}
		if err := r.ReleaseMatching(context.Background(), func(resource.Info) bool { return true }); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReclaimTiesInRegistrationOrder: resources alike in priority, age (one
// tick of the coarse clock) and size are reclaimed oldest first.
func TestReclaimTiesInRegistrationOrder(t *testing.T) {
	r := newRegistry(t, nil)
	c := &counter{}
	var want []string
	for i := range 200 {
		want = append(want, strconv.Itoa(i))
		mustRegister(t, r, c.fn(want[i]), resource.Reclaimable(), resource.WithSize(1))
	}
	if _, err := r.Reclaim(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if got := c.seq(); !slices.Equal(got, want) {
		t.Errorf("reclaim order %v, want registration order", got)
	}
}

func TestReclaimSkipsDependedOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{})
		c := &counter{}
		parent := mustRegister(t, r, c.fn("parent"), resource.Reclaimable(), resource.WithPriority(resource.Low))
		mustRegister(t, r, c.fn("child"), resource.DependsOn(parent), resource.WithPriority(resource.Critical))
		mustRegister(t, r, c.fn("low"), resource.Reclaimable(), resource.WithPriority(resource.Low))
		mustRegister(t, r, c.fn("idle"), resource.Reclaimable(), resource.WithPriority(resource.High),
			resource.WithIdleTimeout(time.Minute))
		advance(time.Minute - time.Nanosecond)
		if _, err := r.Reclaim(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		if got := c.seq(); !slices.Equal(got, []string{"low", "idle"}) {
			t.Errorf("order %v, want [low idle] (parent skipped: it has a live dependent)", got)
		}
		if err := r.ReleaseMatching(context.Background(), func(in resource.Info) bool { return in.ID == parent }); err != nil {
			t.Fatal(err)
		}
		if got := c.seq(); !slices.Equal(got[2:], []string{"child", "parent"}) {
			t.Errorf("ReleaseMatching order %v, want child then parent", got)
		}
	})
}

func TestReclaimErrors(t *testing.T) {
	r := newRegistry(t, &resource.Options{MaxAttempts: 1})
	mustRegister(t, r, func(context.Context) error { return errBoom }, resource.Reclaimable(), resource.WithSize(5))
	mustRegister(t, r, func(context.Context) error { return nil },
		resource.ReclaimWith(func(context.Context) (int64, error) { panic("oops") }))
	freed, err := r.Reclaim(context.Background(), 0)
	if freed != 0 || !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "oops") {
		t.Errorf("Reclaim = %d, %v; want 0 and both failures", freed, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Reclaim(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Reclaim with cancelled ctx = %v", err)
	}
	if err := r.ReleaseMatching(ctx, func(resource.Info) bool { return true }); !errors.Is(err, context.Canceled) {
		t.Errorf("ReleaseMatching with cancelled ctx = %v", err)
	}
	if err := r.ReleaseMatching(context.Background(), func(resource.Info) bool { return true }); err != nil {
		t.Fatal(err)
	}
}

// TestReclaimWithSkipsReleased: a ReclaimWith resource released while
// Reclaim was busy with an earlier candidate is not shrunk afterwards: its
// reclaim function never runs on a cleaned-up value.
func TestReclaimWithSkipsReleased(t *testing.T) {
	r := newRegistry(t, nil)
	inLow, unblock := make(chan struct{}), make(chan struct{})
	mustRegister(t, r, func(context.Context) error {
		close(inLow)
		<-unblock
		return nil
	}, resource.Reclaimable(), resource.WithPriority(resource.Low), resource.WithSize(1))
	var closed, shrunkClosed bool
	shrinker := mustRegister(t, r, func(context.Context) error { closed = true; return nil },
		resource.ReclaimWith(func(context.Context) (int64, error) {
			shrunkClosed = closed
			return 1, nil
		}))
	done := make(chan error)
	go func() {
		_, err := r.Reclaim(context.Background(), 0)
		done <- err
	}()
	<-inLow // Reclaim is releasing the Low candidate; shrinker is next
	if err := r.Release(context.Background(), shrinker); err != nil {
		t.Fatal(err)
	}
	close(unblock)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if shrunkClosed {
		t.Error("Reclaim called the ReclaimWith function of a resource whose cleanup had run")
	}
}

func TestReleaseMatchingNilMatch(t *testing.T) {
	r := newRegistry(t, nil)
	id := mustRegister(t, r, func(context.Context) error { return nil })
	err := r.ReleaseMatching(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "match") {
		t.Errorf("ReleaseMatching(ctx, nil) = %v, want an error naming match", err)
	}
	if err := r.Release(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

// TestReclaimFailedNotCounted: a resource whose cleanup fails for good
// frees nothing as far as Reclaim reports, and Stats.Reclaimed and the
// Reclaimed events agree with it.
func TestReclaimFailedNotCounted(t *testing.T) {
	rec := &recorder{}
	r := newRegistry(t, &resource.Options{MaxAttempts: 1, Observer: rec})
	mustRegister(t, r, func(context.Context) error { return errBoom }, resource.Reclaimable(), resource.WithSize(5))
	mustRegister(t, r, func(context.Context) error { return nil }, resource.Reclaimable(), resource.WithSize(3))
	freed, err := r.Reclaim(context.Background(), 0)
	if freed != 3 || !errors.Is(err, errBoom) {
		t.Fatalf("Reclaim = %d, %v; want 3 and boom", freed, err)
	}
	var evFreed int64
	for _, ev := range rec.of(resource.Reclaimed) {
		evFreed += ev.Size
	}
	if s := r.Stats(); s.Reclaimed != 1 || evFreed != freed {
		t.Errorf("Stats.Reclaimed = %d, Reclaimed events freed %d; want 1 and %d (the failed cleanup freed nothing)", s.Reclaimed, evFreed, freed)
	}
}

// TestReclaimSkipsUnsizedForByteTarget: with a byte target, a Reclaimable
// resource of size 0 (no WithSize) frees nothing Reclaim can count, so it
// is not released (releasing it would not bring the target closer; the
// unweighted values of a cache would all go first). Reclaim(ctx, 0),
// "every candidate", releases it; a ReclaimWith function is called
// whatever the size, since it reports what it freed.
func TestReclaimSkipsUnsizedForByteTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, nil)
		c := &counter{}
		// The unsized ones come first in Reclaim's order (lower priority, older).
		mustRegister(t, r, c.fn("unsized-low"), resource.Reclaimable(), resource.WithPriority(resource.Low))
		var shrinks int
		mustRegister(t, r, c.fn("shrinker"), resource.WithPriority(resource.Low),
			resource.ReclaimWith(func(context.Context) (int64, error) { shrinks++; return 5, nil }))
		mustRegister(t, r, c.fn("unsized"), resource.Reclaimable())
		advance(time.Second)
		mustRegister(t, r, c.fn("sized"), resource.Reclaimable(), resource.WithSize(100))
		mustRegister(t, r, c.fn("sized-2"), resource.Reclaimable(), resource.WithSize(100))

		freed, err := r.Reclaim(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.seq(), []string{"sized"}; !slices.Equal(got, want) || freed != 105 || shrinks != 1 {
			t.Fatalf("Reclaim(100) released %v, freed %d, shrank %d times; want %v, 105, 1", got, freed, shrinks, want)
		}
		if _, err := r.Reclaim(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		if got, want := c.seq(), []string{"sized", "unsized-low", "unsized", "sized-2"}; !slices.Equal(got, want) {
			t.Errorf("then Reclaim(0) released %v, want %v", got, want)
		}
	})
}

// TestReclaimWithNegativeFreed: a ReclaimWith function that reports a
// negative byte count (a bug in it) is a failure of that resource, not a
// debt: Reclaim counts 0 for it instead of subtracting from what the
// others freed (which made it release more than its target), reports no
// Reclaimed event for it, and its error names the resource and the count.
func TestReclaimWithNegativeFreed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error // returned by the ReclaimWith function with -5
		target  int64
		wantRel []string // released, in order
	}{
		{name: "nil-error/every-candidate", target: 0, wantRel: []string{"a", "b"}},
		{name: "nil-error/target", target: 10, wantRel: []string{"a"}},
		{name: "with-error", err: errBoom, target: 10, wantRel: []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				r := newRegistry(t, &resource.Options{Observer: rec})
				c := &counter{}
				bad := mustRegister(t, r, c.fn("bad"), resource.WithPriority(resource.Low),
					resource.ReclaimWith(func(context.Context) (int64, error) { return -5, tc.err }))
				mustRegister(t, r, c.fn("a"), resource.Reclaimable(), resource.WithSize(10))
				advance(time.Second)
				mustRegister(t, r, c.fn("b"), resource.Reclaimable(), resource.WithSize(10))

				freed, err := r.Reclaim(context.Background(), tc.target)
				if want := int64(10 * len(tc.wantRel)); freed != want {
					t.Errorf("freed = %d, want %d (the negative count is not subtracted)", freed, want)
				}
				if err == nil || !strings.Contains(err.Error(), bad.String()) || !strings.Contains(err.Error(), "-5") {
					t.Errorf("err = %v, want an error naming %v and -5", err, bad)
				}
				if tc.err != nil && !errors.Is(err, tc.err) {
					t.Errorf("err = %v, want it to wrap %v", err, tc.err)
				}
				if got := c.seq(); !slices.Equal(got, tc.wantRel) {
					t.Errorf("released %v, want %v", got, tc.wantRel)
				}
				for _, ev := range rec.of(resource.Reclaimed) {
					if ev.ID == bad {
						t.Errorf("Reclaimed event for %v with Size %d, want none", bad, ev.Size)
					}
				}
			})
		})
	}
}
