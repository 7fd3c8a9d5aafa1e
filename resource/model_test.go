package resource_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
	"pgregory.net/rapid"
)

// The state-machine test drives a registry with random Track, Release,
// ReleaseAsync, Detach, clock advances (TTL expiry, backoffs, hanging
// cleanups timing out) and a final Shutdown, with cleanups that succeed,
// fail transiently, fail for good, panic or hang, and checks it against a
// model after every step and at the end.

type behavior int

const (
	bOK behavior = iota
	bFailOnce
	bFailAlways
	bFailPerm
	bPanic
	bHang
	bFallback // fails with a Fallback-classified error; the fallback succeeds
	numBehaviors
)

const modelMaxAttempts = 2

// attempts is how many times the cleanup is called when released once.
func (b behavior) attempts() int32 {
	switch b {
	case bFailOnce, bFailAlways, bHang:
		return modelMaxAttempts
	}
	return 1
}

func (b behavior) fails() bool {
	return b == bFailAlways || b == bFailPerm || b == bPanic || b == bHang
}

type mstate int

const (
	mLive mstate = iota
	mClaimed
	mDetached
)

type mres struct {
	id         resource.ID
	b          behavior
	due        time.Time // TTL due time; zero if none
	state      mstate
	dependents []*mres
	calls      atomic.Int32
	fbCalls    atomic.Int32
	guard      *resource.Guard[*mres]
}

type machine struct {
	r       *resource.Registry
	all     []*mres
	expired int
}

func newCleanup(x *mres) func(context.Context, *mres) error {
	return func(ctx context.Context, _ *mres) error {
		n := x.calls.Add(1)
		switch x.b {
		case bFailOnce:
			if n == 1 {
				return errBoom
			}
		case bFailAlways:
			return errBoom
		case bFailPerm:
			return resource.Classify(errBoom, resource.Fail)
		case bPanic:
			panic("model cleanup panics")
		case bHang:
			<-ctx.Done()
			return ctx.Err()
		case bFallback:
			return resource.Classify(errBoom, resource.Fallback)
		}
		return nil
	}
}

// claimTree marks x and its live dependents, transitively, as claimed and
// returns those it marked.
func claimTree(x *mres, out []*mres) []*mres {
	if x.state != mLive {
		return out
	}
	x.state = mClaimed
	out = append(out, x)
	for _, d := range x.dependents {
		out = claimTree(d, out)
	}
	return out
}

func (m *machine) pick(t *rapid.T) *mres {
	if len(m.all) == 0 {
		t.Skip("nothing registered")
	}
	return m.all[rapid.IntRange(0, len(m.all)-1).Draw(t, "res")]
}

func (m *machine) track(t *rapid.T) {
	x := &mres{b: behavior(rapid.IntRange(0, int(numBehaviors)-1).Draw(t, "behavior"))}
	opts := []resource.Option{resource.WithPriority(resource.Priority(rapid.IntRange(0, 3).Draw(t, "prio")))}
	if x.b == bFallback {
		opts = append(opts, resource.WithFallback(func(context.Context) error { x.fbCalls.Add(1); return nil }))
	}
	var parents []*mres
	if rapid.IntRange(0, 3).Draw(t, "ttl?") == 0 {
		ttl := time.Duration(rapid.IntRange(1, 4).Draw(t, "ttl"))*time.Second + 500*time.Millisecond
		opts = append(opts, resource.WithTTL(ttl))
		x.due = time.Now().Add(ttl)
	} else {
		// Dependencies only among resources without TTL, so that an expiry
		// never releases a tree another operation is releasing.
		for _, p := range m.all {
			if p.state == mLive && p.due.IsZero() && rapid.IntRange(0, 5).Draw(t, "dep?") == 0 {
				parents = append(parents, p)
				opts = append(opts, resource.DependsOn(p.id))
			}
		}
	}
	g, err := resource.Track(m.r, x, newCleanup(x), opts...)
	if err != nil {
		t.Fatalf("Track: %v", err)
	}
	x.id, x.guard = g.ID(), g
	for _, p := range parents {
		p.dependents = append(p.dependents, x)
	}
	m.all = append(m.all, x)
}

func (m *machine) release(t *rapid.T) {
	x := m.pick(t)
	var err error
	wasLive := x.state == mLive
	tree := claimTree(x, nil)
	if rapid.Bool().Draw(t, "viaGuard") {
		err = x.guard.Release(context.Background())
	} else {
		err = m.r.Release(context.Background(), x.id)
	}
	if !wasLive {
		if !errors.Is(err, resource.ErrReleased) && !errors.Is(err, resource.ErrNotFound) {
			t.Fatalf("Release of non-live %v = %v, want ErrReleased or ErrNotFound", x.id, err)
		}
		return
	}
	wantFail := false
	for _, y := range tree {
		wantFail = wantFail || y.b.fails()
	}
	if (err != nil) != wantFail {
		t.Fatalf("Release(%v) with tree behaviors %v = %v; want failure %v", x.id, behaviors(tree), err, wantFail)
	}
	var ce *resource.CleanupError
	if wantFail && !errors.As(err, &ce) {
		t.Fatalf("Release failure %v is not a *CleanupError", err)
	}
}

func behaviors(xs []*mres) []behavior {
	var out []behavior
	for _, x := range xs {
		out = append(out, x.b)
	}
	return out
}

func (m *machine) releaseAsync(t *rapid.T) {
	x := m.pick(t)
	wasLive := x.state == mLive
	claimTree(x, nil)
	if rapid.Bool().Draw(t, "viaGuard") {
		x.guard.ReleaseAsync()
		return
	}
	err := m.r.ReleaseAsync(x.id)
	switch {
	case wasLive && err != nil:
		t.Fatalf("ReleaseAsync(%v) of live = %v", x.id, err)
	case !wasLive && !errors.Is(err, resource.ErrReleased) && !errors.Is(err, resource.ErrNotFound):
		t.Fatalf("ReleaseAsync(%v) of non-live = %v, want ErrReleased or ErrNotFound", x.id, err)
	}
}

func (m *machine) detach(t *rapid.T) {
	x := m.pick(t)
	_, err := x.guard.Detach()
	if x.state == mLive {
		if err != nil {
			t.Fatalf("Detach(%v) of live = %v", x.id, err)
		}
		x.state = mDetached
		return
	}
	if !errors.Is(err, resource.ErrReleased) {
		t.Fatalf("Detach(%v) of non-live = %v, want ErrReleased", x.id, err)
	}
}

func (m *machine) advance(t *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{100 * time.Millisecond, time.Second, 3 * time.Second}).Draw(t, "advance")
	advance(d)
}

// settle lets the registry's goroutines run and applies expiries.
func (m *machine) settle(t *rapid.T) {
	synctest.Wait()
	now := time.Now()
	for _, x := range m.all {
		if x.state == mLive && !x.due.IsZero() && !now.Before(x.due) {
			claimTree(x, nil)
			m.expired++
		}
	}
	for _, x := range m.all {
		want := x.b.attempts()
		if x.state == mDetached {
			want = 0
		}
		if c := x.calls.Load(); c > want {
			t.Fatalf("%v (%v) cleanup called %d times, more than %d", x.id, x.b, c, want)
		}
		if x.state == mLive && x.calls.Load() != 0 {
			t.Fatalf("live %v cleaned", x.id)
		}
	}
}

func (m *machine) finish(t *rapid.T) {
	err := m.r.Shutdown(context.Background())
	var se *resource.ShutdownError
	if err != nil && (!errors.As(err, &se) || se.Err != nil || len(se.Unfinished) != 0) {
		t.Fatalf("Shutdown = %v; want nil or only failures", err)
	}
	failedIDs := map[resource.ID]bool{}
	for _, f := range m.r.Failures() {
		if failedIDs[f.ID] {
			t.Fatalf("%v reported as failed twice", f.ID)
		}
		failedIDs[f.ID] = true
	}
	var wantFailed, wantOK, wantFellBack, wantDetached, wantRetried uint64
	for _, x := range m.all {
		c := x.calls.Load()
		if x.state == mDetached {
			if c != 0 {
				t.Fatalf("detached %v cleaned %d times", x.id, c)
			}
			wantDetached++
			continue
		}
		if c != x.b.attempts() {
			t.Fatalf("%v (%v): %d attempts, want %d", x.id, x.b, c, x.b.attempts())
		}
		wantRetried += uint64(c - 1)
		if failedIDs[x.id] != x.b.fails() {
			t.Fatalf("%v (%v): in Failures = %v", x.id, x.b, failedIDs[x.id])
		}
		wantFB := int32(0)
		switch {
		case x.b.fails():
			wantFailed++
		case x.b == bFallback:
			wantFellBack++
			wantFB = 1
		default:
			wantOK++
		}
		if fb := x.fbCalls.Load(); fb != wantFB {
			t.Fatalf("%v (%v): fallback ran %d times, want %d", x.id, x.b, fb, wantFB)
		}
	}
	s := m.r.Stats()
	if s.Registered != uint64(len(m.all)) || s.Succeeded != wantOK || s.Failed != wantFailed || s.FellBack != wantFellBack ||
		s.Detached != wantDetached || s.Retried != wantRetried || s.Live != 0 || s.Expired != uint64(m.expired) {
		t.Fatalf("Stats %+v; want registered %d succeeded %d fell back %d failed %d detached %d retried %d expired %d",
			s, len(m.all), wantOK, wantFellBack, wantFailed, wantDetached, wantRetried, m.expired)
	}
	if s.Registered != s.Succeeded+s.Failed+s.FellBack+s.Detached+uint64(s.Live) {
		t.Fatalf("counters do not reconcile: %+v", s)
	}
}

func TestStateMachine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// rapid asks t for its deadline, which synctest forbids: hide it.
		rapid.Check(struct{ rapid.TB }{t}, func(rt *rapid.T) {
			// LeaksOff recycles the entries of plain Guards (see recycle.go).
			leaks := rapid.SampledFrom([]resource.LeakLevel{resource.LeaksSampled, resource.LeaksOff}).Draw(rt, "leaks")
			r, err := resource.NewRegistry(&resource.Options{Leaks: leaks, Workers: 64, MaxAttempts: modelMaxAttempts,
				RetryBackoff: 100 * time.Millisecond, CleanupTimeout: time.Second, FailureHistory: 1000})
			if err != nil {
				rt.Fatal(err)
			}
			m := &machine{r: r}
			step := func(f func(*rapid.T)) func(*rapid.T) {
				return func(t *rapid.T) { f(t); m.settle(t) }
			}
			rt.Repeat(map[string]func(*rapid.T){
				"track":        step(m.track),
				"release":      step(m.release),
				"releaseAsync": step(m.releaseAsync),
				"detach":       step(m.detach),
				"advance":      step(m.advance),
				"":             m.settle,
			})
			m.finish(rt)
		})
	})
}
