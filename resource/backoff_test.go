package resource_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestRetryBackoffSaturates: a backoff whose doubling passes the range of a
// Duration waits "forever" (the longest Duration) instead of wrapping
// around to a negative delay, which ran the retry at once. With
// RetryBackoff = 2^61 ns the third retry's delay would be 2^63 ns; with the
// usual 3h it is the 21st retry (MaxAttempts >= 22), too far in the future
// for the test clock (internal_test.go checks that case on backoff alone).
func TestRetryBackoffSaturates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const base = time.Duration(1) << 61 // about 73 years
		r := newRegistry(t, &resource.Options{MaxAttempts: 10, RetryBackoff: base})
		var mu sync.Mutex
		var at []time.Duration // when each attempt ran, since the release
		start := time.Now()
		id := mustRegister(t, r, func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Since(start))
			if len(at) <= 3 {
				return errBoom
			}
			return nil // lets Shutdown finish once the test ends
		})
		attempts := func() []time.Duration {
			mu.Lock()
			defer mu.Unlock()
			return append([]time.Duration(nil), at...)
		}
		if err := r.ReleaseAsync(id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		advance(base) // the first retry waits at most base
		synctest.Wait()
		advance(2 * base) // the second at most 2·base
		synctest.Wait()
		got := attempts()
		if len(got) != 3 {
			t.Fatalf("after the first two backoffs: %d attempts at %v, want 3", len(got), got)
		}
		// The third retry waits at least 2·base (half of 4·base, which
		// does not fit in a Duration: saturated to the longest one).
		advance(time.Hour)
		synctest.Wait()
		if got := attempts(); len(got) != 3 {
			t.Fatalf("third retry ran %v after the third attempt, want a backoff of at least %v (attempts at %v)",
				got[3]-got[2], 2*base, got)
		}
		if in, ok := r.Info(id); !ok || in.State != resource.StateBackoff {
			t.Errorf("Info = %+v, %v; want the resource waiting out its backoff", in, ok)
		}
	})
}
