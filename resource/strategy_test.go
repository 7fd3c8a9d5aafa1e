package resource_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

func TestStrategyOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want resource.Strategy
	}{
		{"nil", nil, 0},
		{"plain", errBoom, resource.Retry},
		{"timeout", context.DeadlineExceeded, resource.Retry},
		{"classified fail", resource.Classify(errBoom, resource.Fail), resource.Fail},
		{"wrapped fallback", fmt.Errorf("x: %w", resource.Classify(errBoom, resource.Fallback)), resource.Fallback},
		{"panic", &resource.PanicError{Value: "p"}, resource.Fallback},
	}
	for _, tc := range tests {
		if got := resource.StrategyOf(tc.err); got != tc.want {
			t.Errorf("%s: StrategyOf = %v, want %v", tc.name, got, tc.want)
		}
	}
	if resource.Classify(nil, resource.Fail) != nil {
		t.Error("Classify(nil) != nil")
	}
	if err := resource.Classify(errBoom, resource.Fail); !errors.Is(err, errBoom) {
		t.Error("Classify does not wrap")
	}
}

// TestRetryBackoffAsync: retries wait out an exponential backoff with
// jitter on the timer heap, and the only worker is free meanwhile.
func TestRetryBackoffAsync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r := newRegistry(t, &resource.Options{Workers: 1, MaxAttempts: 3, RetryBackoff: 100 * time.Millisecond, Observer: rec})
		start := time.Now()
		var mu sync.Mutex
		var times []time.Duration
		id := mustRegister(t, r, func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			times = append(times, time.Since(start))
			if len(times) < 3 {
				return errBoom
			}
			return nil
		})
		if err := r.ReleaseAsync(id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		other := make(chan struct{})
		oid := mustRegister(t, r, func(context.Context) error { close(other); return nil })
		if err := r.ReleaseAsync(oid); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		select {
		case <-other:
		default:
			t.Fatal("worker held hostage by a backoff")
		}
		if in, ok := r.Info(id); !ok || in.State != resource.StateBackoff {
			t.Errorf("Info during backoff = %+v, %v; want backoff", in, ok)
		}
		if s := r.Stats(); s.Backoff != 1 {
			t.Errorf("Stats.Backoff = %d during backoff, want 1", s.Backoff)
		}
		advance(time.Second)
		mu.Lock()
		defer mu.Unlock()
		if len(times) != 3 {
			t.Fatalf("attempts = %d, want 3", len(times))
		}
		if g := times[1] - times[0]; g < 50*time.Millisecond || g > 100*time.Millisecond {
			t.Errorf("first backoff %v, want in [50ms, 100ms]", g)
		}
		if g := times[2] - times[1]; g < 100*time.Millisecond || g > 200*time.Millisecond {
			t.Errorf("second backoff %v, want in [100ms, 200ms]", g)
		}
		s := r.Stats()
		if s.Retried != 2 || s.Succeeded != 2 || s.Failed != 0 {
			t.Errorf("Stats retried %d succeeded %d failed %d; want 2 2 0", s.Retried, s.Succeeded, s.Failed)
		}
		if n := rec.count(resource.CleanupFailed); n != 2 {
			t.Errorf("CleanupFailed events = %d, want 2", n)
		}
		if n := rec.count(resource.Retrying); n != 2 {
			t.Errorf("Retrying events = %d, want 2", n)
		}
	})
}

func TestRetryExhaustedSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r, err := resource.NewRegistry(&resource.Options{MaxAttempts: 4, RetryBackoff: time.Second, Observer: rec})
		if err != nil {
			t.Fatal(err)
		}
		var calls atomic.Int32
		id := mustRegister(t, r, failing(100, errBoom, &calls), resource.WithKind("db"))
		start := time.Now()
		err = r.Release(context.Background(), id)
		var ce *resource.CleanupError
		if !errors.As(err, &ce) || ce.Attempts != 4 || ce.ID != id || ce.Kind != "db" || !errors.Is(err, errBoom) {
			t.Fatalf("Release err = %v; want *CleanupError after 4 attempts wrapping boom", err)
		}
		if el := time.Since(start); el < 3500*time.Millisecond || el > 7*time.Second {
			t.Errorf("retries took %v, want in [3.5s, 7s]", el)
		}
		if f := r.Failures(); len(f) != 1 || f[0] != ce {
			t.Errorf("Failures = %v, want [the error]", f)
		}
		if g := rec.of(resource.GaveUp); len(g) != 1 || g[0].Err != error(ce) {
			t.Errorf("GaveUp events = %v", g)
		}
		if !strings.Contains(ce.Error(), id.String()) || !strings.Contains(ce.Error(), "4 attempts") {
			t.Errorf("error text %q lacks id or attempts", ce.Error())
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	})
}

// TestReleaseCtxCancelledDuringBackoff: a caller that stops waiting during a
// retry backoff gets the attempt's error and its ctx's, and the retries go
// on on the scheduler instead of being abandoned.
func TestReleaseCtxCancelledDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{MaxAttempts: 5, RetryBackoff: time.Minute})
		var calls atomic.Int32
		id := mustRegister(t, r, failing(3, errBoom, &calls))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := r.Release(ctx, id)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errBoom) {
			t.Errorf("err = %v; want boom and deadline exceeded", err)
		}
		if calls.Load() != 1 || r.Len() != 1 {
			t.Fatalf("after Release returned: attempts %d, Len %d; want 1 and 1 (retries pending)", calls.Load(), r.Len())
		}
		advance(time.Hour) // past every backoff
		synctest.Wait()
		if calls.Load() != 4 || r.Len() != 0 {
			t.Errorf("after the backoffs: attempts %d, Len %d; want 4 (3 failures, then success) and 0", calls.Load(), r.Len())
		}
		if f := r.Failures(); len(f) != 0 {
			t.Errorf("Failures = %v, want none: a later retry succeeded", f)
		}
	})
}

func TestFailAndFallback(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		fallbackErr error
		hasFallback bool
		wantCalls   int32
		wantFB      bool
		wantFailed  bool
	}{
		{"fail", resource.Classify(errBoom, resource.Fail), nil, true, 1, false, true},
		{"fallback ok", resource.Classify(errBoom, resource.Fallback), nil, true, 1, true, false},
		{"fallback fails", resource.Classify(errBoom, resource.Fallback), errors.New("fb"), true, 1, true, true},
		{"fallback missing", resource.Classify(errBoom, resource.Fallback), nil, false, 1, false, true},
		{"retries then fallback", errBoom, nil, true, 3, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				r := newRegistry(t, &resource.Options{MaxAttempts: 3, Observer: rec})
				var calls atomic.Int32
				var fbCalls atomic.Int32
				opts := []resource.Option{}
				if tc.hasFallback {
					opts = append(opts, resource.WithFallback(func(context.Context) error { fbCalls.Add(1); return tc.fallbackErr }))
				}
				id := mustRegister(t, r, failing(100, tc.err, &calls), opts...)
				err := r.Release(context.Background(), id)
				if calls.Load() != tc.wantCalls {
					t.Errorf("attempts = %d, want %d", calls.Load(), tc.wantCalls)
				}
				if got := fbCalls.Load() == 1; got != tc.wantFB {
					t.Errorf("fallback ran = %v, want %v", got, tc.wantFB)
				}
				if (err != nil) != tc.wantFailed {
					t.Errorf("err = %v, want failure %v", err, tc.wantFailed)
				}
				s := r.Stats()
				if wantFB := tc.wantFB && !tc.wantFailed; (s.FellBack == 1) != wantFB {
					t.Errorf("Stats.FellBack = %d, want fell back %v", s.FellBack, wantFB)
				}
				if (s.Failed == 1) != tc.wantFailed {
					t.Errorf("Stats.Failed = %d", s.Failed)
				}
				if tc.fallbackErr != nil && !errors.Is(err, tc.fallbackErr) {
					t.Errorf("err %v does not wrap the fallback's error", err)
				}
				if tc.wantFB && rec.count(resource.FellBack) != 1 {
					t.Errorf("FellBack events = %d, want 1", rec.count(resource.FellBack))
				}
			})
		})
	}
}

// TestPanic: a panicking cleanup becomes a *CleanupError with the value and
// stack, and the worker survives to run the next cleanup.
func TestPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r := newRegistry(t, &resource.Options{Workers: 1, Observer: rec})
		id := mustRegister(t, r, func(context.Context) error { panic("kaboom") })
		next := make(chan struct{})
		id2 := mustRegister(t, r, func(context.Context) error { close(next); return nil })
		if err := r.ReleaseAsync(id); err != nil {
			t.Fatal(err)
		}
		if err := r.ReleaseAsync(id2); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		<-next
		f := r.Failures()
		if len(f) != 1 {
			t.Fatalf("Failures = %v, want 1", f)
		}
		if f[0].Panic != "kaboom" || !strings.Contains(f[0].Stack, "panic") || f[0].Attempts != 1 {
			t.Errorf("CleanupError = %+v; want panic kaboom with a stack after 1 attempt", f[0])
		}
		var pe *resource.PanicError
		if !errors.As(f[0], &pe) || pe.Value != "kaboom" {
			t.Errorf("no *PanicError in %v", f[0])
		}
		// A sync release of a panicking cleanup returns the error to the caller.
		id3 := mustRegister(t, r, func(context.Context) error { panic(errBoom) })
		if err := r.Release(context.Background(), id3); !errors.Is(err, errBoom) {
			t.Errorf("Release of panic(errBoom) = %v, want it to wrap errBoom", err)
		}
		if rec.count(resource.GaveUp) != 2 {
			t.Errorf("GaveUp events = %d, want 2", rec.count(resource.GaveUp))
		}
	})
}

// TestAttemptTimeout: a cleanup that waits on its context is cancelled at
// the per-attempt timeout, attempt by attempt.
func TestAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{MaxAttempts: 2, RetryBackoff: time.Second, CleanupTimeout: time.Hour})
		start := time.Now()
		var deadlines []time.Duration
		hang := func(ctx context.Context) error {
			dl, ok := ctx.Deadline()
			if !ok {
				t.Error("attempt context has no deadline")
			}
			deadlines = append(deadlines, dl.Sub(start))
			<-ctx.Done()
			return ctx.Err()
		}
		id := mustRegister(t, r, hang, resource.WithCleanupTimeout(5*time.Second))
		err := r.Release(context.Background(), id)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		el := time.Since(start)
		if el < 10500*time.Millisecond || el > 11*time.Second {
			t.Errorf("two 5s attempts and a backoff took %v, want in [10.5s, 11s]", el)
		}
		if len(deadlines) != 2 || deadlines[0] != 5*time.Second {
			t.Errorf("deadlines %v, want first at 5s", deadlines)
		}
		// Err without Done still reports the deadline.
		id2 := mustRegister(t, r, func(ctx context.Context) error {
			advance(2 * time.Second)
			return ctx.Err()
		}, resource.WithCleanupTimeout(time.Second), resource.WithFallback(func(context.Context) error { return nil }))
		if err := r.Release(context.Background(), id2); err != nil {
			t.Errorf("fallback after timeouts: %v", err)
		}
		if s := r.Stats(); s.FellBack != 1 {
			t.Errorf("FellBack = %d, want 1", s.FellBack)
		}
	})
}

type ctxKey struct{}

// TestAttemptContext: the attempt context carries the caller's values and
// the earlier of the caller's deadline and the per-attempt timeout.
func TestAttemptContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{CleanupTimeout: time.Minute})
		start := time.Now()
		tests := []struct {
			name     string
			parent   time.Duration // 0: no deadline
			timeout  resource.Option
			wantDL   time.Duration // 0: none
			wantKind string
		}{
			{"registry default", 0, resource.WithKind("a"), time.Minute, "a"},
			{"parent earlier", 10 * time.Second, resource.WithKind("b"), 10 * time.Second, "b"},
			{"per resource", time.Hour, resource.WithCleanupTimeout(5 * time.Second), 5 * time.Second, ""},
			{"no timeout", 0, resource.WithCleanupTimeout(-1), 0, ""},
		}
		for _, tc := range tests {
			ctx := context.WithValue(context.Background(), ctxKey{}, tc.name)
			if tc.parent > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.parent)
				defer cancel()
			}
			id := mustRegister(t, r, func(ctx context.Context) error {
				if v := ctx.Value(ctxKey{}); v != tc.name {
					t.Errorf("%s: Value = %v", tc.name, v)
				}
				dl, ok := ctx.Deadline()
				if got := dl.Sub(start); ok != (tc.wantDL != 0) || (ok && got != tc.wantDL) {
					t.Errorf("%s: Deadline = %v, %v; want %v", tc.name, got, ok, tc.wantDL)
				}
				if ctx.Err() != nil {
					t.Errorf("%s: Err = %v before the deadline", tc.name, ctx.Err())
				}
				return nil
			}, tc.timeout)
			if err := r.Release(ctx, id); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
	})
}

// TestGoexit: a cleanup that calls runtime.Goexit (t.FailNow) cannot be
// stopped, but its resource is finished as failed, the worker is replaced
// and nothing waits for it forever.
func TestGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{Workers: 1})
		exit := func(context.Context) error { runtime.Goexit(); return nil }
		a := mustRegister(t, r, exit, resource.WithKind("async"))
		next := make(chan struct{})
		b := mustRegister(t, r, func(context.Context) error { close(next); return nil })
		if err := r.ReleaseAsync(a); err != nil {
			t.Fatal(err)
		}
		if err := r.ReleaseAsync(b); err != nil {
			t.Fatal(err)
		}
		<-next // the lost worker was replaced
		s := mustRegister(t, r, exit, resource.WithKind("sync"))
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = r.Release(context.Background(), s) // never returns: the goroutine exits
			t.Error("Release returned after Goexit")
		}()
		<-done
		synctest.Wait()
		f := r.Failures()
		if len(f) != 2 || !strings.Contains(f[0].Error(), "Goexit") || !strings.Contains(f[1].Error(), "Goexit") {
			t.Fatalf("Failures = %v, want two Goexit failures", f)
		}
		if st := r.Stats(); st.Live != 0 || st.Failed != 2 || st.Succeeded != 1 || st.Workers != 0 || st.Running != 0 {
			t.Errorf("Stats = %+v", st)
		}
	})
}
