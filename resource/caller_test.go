package resource_test

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patinox/memory/resource"
)

// onCaller calls f through a frame of its own: a function that f calls,
// directly or not, finds that frame on its stack (ranOnCaller) exactly
// when it runs on this goroutine, inside this call. No other goroutine's
// stack holds it, even one started from inside f (a stack does not include
// the frames of the goroutine that created it).
//
//go:noinline
func onCaller(f func()) { f() }

// ranOnCaller reports whether the calling function runs inside onCaller on
// the same goroutine.
func ranOnCaller() bool {
	pcs := make([]uintptr, 1024)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, ".onCaller") {
			return true
		}
		if !more {
			return false
		}
	}
}

// callSites records, for each call of a cleanup (or fallback), whether it
// ran on the releasing caller's goroutine.
type callSites struct {
	mu    sync.Mutex
	calls []string // name, plus " (elsewhere)" when it ran off the caller
}

func (c *callSites) note(name string) {
	if !ranOnCaller() {
		name += " (elsewhere)"
	}
	c.mu.Lock()
	c.calls = append(c.calls, name)
	c.mu.Unlock()
}

func (c *callSites) fn(name string, fails int) func(context.Context) error {
	var n int
	return func(context.Context) error {
		c.note(name)
		if n++; n <= fails {
			return errBoom // classified Retry
		}
		return nil
	}
}

// TestCleanupRunsOnCaller: Guard.Release, Guard.Close and Registry.Release
// run the cleanup on the caller's goroutine, as documented: with and
// without leak detection (the Guard's two entry layouts), with a live
// dependent (released first, on the same goroutine), through a retry's
// backoff and through a fallback.
func TestCleanupRunsOnCaller(t *testing.T) {
	errFallback := resource.Classify(errBoom, resource.Fallback)
	for _, tc := range []struct {
		name  string
		leaks resource.LeakLevel
		// release registers what it needs with c's cleanups and returns the
		// release to run on the caller.
		release func(t *testing.T, r *resource.Registry, c *callSites) func() error
		want    []string
	}{
		{name: "Guard.Release/LeaksOff", leaks: resource.LeaksOff, want: []string{"g"},
			release: func(t *testing.T, r *resource.Registry, c *callSites) func() error {
				g := track(t, r, c.fn("g", 0))
				return func() error { return g.Release(context.Background()) }
			}},
		{name: "Guard.Release/LeaksAll", leaks: resource.LeaksAll, want: []string{"g"},
			release: func(t *testing.T, r *resource.Registry, c *callSites) func() error {
				g := track(t, r, c.fn("g", 0))
				return func() error { return g.Release(context.Background()) }
			}},
		{name: "Guard.Close/LeaksOff", leaks: resource.LeaksOff, want: []string{"g"},
			release: func(t *testing.T, r *resource.Registry, c *callSites) func() error {
				return track(t, r, c.fn("g", 0)).Close
			}},
		{name: "Guard.Close/LeaksSampled", leaks: resource.LeaksSampled, want: []string{"g"},
			release: func(t *testing.T, r *resource.Registry, c *callSites) func() error {
				return track(t, r, c.fn("g", 0)).Close
			}},
		{name: "Registry.Release", want: []string{"id"},
			release: func(t *testing.T, r *resource.Registry, c *callSites) func() error {
				id := mustRegister(t, r, c.fn("id", 0))
				return func() error { return r.Release(context.Background(), id) }
			}},
		{name: "Registry.Release/dependent", want: []string{"child", "parent"},
			release: func(t *testing.T, r *resource.Registry, c *callSites) func() error {
				parent := mustRegister(t, r, c.fn("parent", 0))
				mustRegister(t, r, c.fn("child", 0), resource.DependsOn(parent))
				return func() error { return r.Release(context.Background(), parent) }
			}},
		{name: "Guard.Release/retry", want: []string{"g", "g"},
			release: func(t *testing.T, r *resource.Registry, c *callSites) func() error {
				g := track(t, r, c.fn("g", 1))
				return func() error { return g.Release(context.Background()) }
			}},
		{name: "Registry.Release/fallback", want: []string{"id", "fallback"},
			release: func(t *testing.T, r *resource.Registry, c *callSites) func() error {
				id := mustRegister(t, r, func(context.Context) error { c.note("id"); return errFallback },
					resource.WithFallback(c.fn("fallback", 0)))
				return func() error { return r.Release(context.Background(), id) }
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry(t, &resource.Options{Leaks: tc.leaks, RetryBackoff: time.Nanosecond})
			c := &callSites{}
			release := tc.release(t, r, c)
			var err error
			onCaller(func() { err = release() })
			if err != nil {
				t.Fatal(err)
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if !slices.Equal(c.calls, tc.want) {
				t.Errorf("calls %q, want %q (each on the caller's goroutine, during the call)", c.calls, tc.want)
			}
		})
	}
}

func track(t *testing.T, r *resource.Registry, cleanup func(context.Context) error) *resource.Guard[int] {
	t.Helper()
	g, err := resource.Track(r, 1, func(ctx context.Context, _ int) error { return cleanup(ctx) })
	if err != nil {
		t.Fatal(err)
	}
	return g
}
