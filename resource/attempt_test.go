package resource_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

type attemptSeen struct {
	n     int
	final bool
}

// TestAttemptFrom: a cleanup's context (and one derived from it) tells the
// attempt's number and whether it is the final one; the fallback is final.
func TestAttemptFrom(t *testing.T) {
	tests := []struct {
		name     string
		fail     int // attempts that fail (transient)
		fallback bool
		derive   bool // ask through a context derived from the cleanup's
		classify bool // failures are classified Fallback, not Retry
		want     []attemptSeen
	}{
		{name: "first succeeds", fail: 0, want: []attemptSeen{{1, false}}},
		{name: "retried", fail: 2, want: []attemptSeen{{1, false}, {2, false}, {3, true}}},
		{name: "derived ctx", fail: 2, derive: true, want: []attemptSeen{{1, false}, {2, false}, {3, true}}},
		{name: "fallback", fail: 3, fallback: true, want: []attemptSeen{{1, false}, {2, false}, {3, true}, {3, true}}},
		{name: "fallback at once", fail: 1, fallback: true, classify: true, want: []attemptSeen{{1, false}, {1, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRegistry(t, &resource.Options{MaxAttempts: 3, RetryBackoff: time.Millisecond})
				var seen []attemptSeen
				ask := func(ctx context.Context) {
					if tt.derive {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, time.Hour)
						defer cancel()
					}
					n, final := resource.AttemptFrom(ctx)
					seen = append(seen, attemptSeen{n, final})
				}
				var opts []resource.Option
				if tt.fallback {
					opts = append(opts, resource.WithFallback(func(ctx context.Context) error {
						ask(ctx)
						return nil
					}))
				}
				id := mustRegister(t, r, func(ctx context.Context) error {
					ask(ctx)
					if len(seen) <= tt.fail {
						if tt.classify {
							return resource.Classify(errors.New("wedged"), resource.Fallback)
						}
						return errors.New("transient")
					}
					return nil
				}, opts...)
				if err := r.Release(context.Background(), id); err != nil {
					t.Fatalf("Release: %v", err)
				}
				if !slices.Equal(seen, tt.want) {
					t.Errorf("AttemptFrom per call: got %v, want %v", seen, tt.want)
				}
			})
		})
	}
	if n, final := resource.AttemptFrom(context.Background()); n != 0 || !final {
		t.Errorf("AttemptFrom(Background): got %d, %v; want 0, true", n, final)
	}
}

// TestAttemptFromPromisesRetry: a cleanup told that its attempt is not the
// final one fails with a transient error after the release's context
// ended. Without AttemptFrom that ends the cleanup (a cancelled release
// fails at once); with it the registry keeps its word: the retry runs, on
// the scheduler, and the resource is released, not given up.
func TestAttemptFromPromisesRetry(t *testing.T) {
	tests := []struct {
		name        string
		ask         bool
		cancelFirst bool // the context ends before the cleanup asks
		wantCalls   int
		wantFails   int
	}{
		{name: "asked", ask: true, wantCalls: 2, wantFails: 0},
		{name: "not asked", ask: false, wantCalls: 1, wantFails: 1},
		{name: "asked after the end", ask: true, cancelFirst: true, wantCalls: 1, wantFails: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRegistry(t, &resource.Options{MaxAttempts: 3, RetryBackoff: time.Millisecond})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				calls := 0
				id := mustRegister(t, r, func(actx context.Context) error {
					calls++
					if calls > 1 {
						return nil
					}
					if tt.cancelFirst {
						cancel()
					}
					if tt.ask {
						if _, final := resource.AttemptFrom(actx); final != tt.cancelFirst {
							t.Errorf("first attempt: final %v, want %v", final, tt.cancelFirst)
						}
					}
					cancel() // the releaser gives up while the attempt fails
					return errors.New("transient")
				})
				if err := r.Release(ctx, id); err == nil {
					t.Errorf("Release with its context cancelled: got nil, want an error")
				}
				<-time.After(time.Second) // synctest's fake clock: any retry backoff passes
				synctest.Wait()
				if calls != tt.wantCalls || len(r.Failures()) != tt.wantFails {
					t.Errorf("cleanup calls %d, failures %d; want %d, %d", calls, len(r.Failures()), tt.wantCalls, tt.wantFails)
				}
				if _, live := r.Info(id); live {
					t.Errorf("resource still live")
				}
			})
		})
	}
}

// TestAttemptFromKeepsItsAnswer: a cleanup asks AttemptFrom twice in one
// attempt (say the pool's wrapper and the user's destroy it calls), and
// the release's context ends in between. The first answer, "not final",
// is a promise the registry keeps (it retries); the second must not say
// "final": a cleanup that believed it would drop the state it kept for a
// retry that still comes (a pool would free the slot of a connection that
// is still open, and count it destroyed).
func TestAttemptFromKeepsItsAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{MaxAttempts: 3, RetryBackoff: time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		id := mustRegister(t, r, func(actx context.Context) error {
			calls++
			if calls > 1 {
				return nil
			}
			_, first := resource.AttemptFrom(actx)
			cancel() // the releaser gives up during the attempt
			_, second := resource.AttemptFrom(actx)
			if first || second {
				t.Errorf("AttemptFrom in one attempt: final %v, then %v; want false, false (a retry was promised)", first, second)
			}
			return errors.New("transient")
		})
		_ = r.Release(ctx, id) // its ctx ended: the retry goes to the scheduler
		<-time.After(time.Second)
		synctest.Wait()
		if calls != 2 {
			t.Errorf("cleanup calls %d, want 2 (the promised retry)", calls)
		}
	})
}

// A cleanup that keeps state across attempts asks whether a retry will
// follow a failure.
func ExampleAttemptFrom() {
	r, err := resource.NewRegistry(&resource.Options{MaxAttempts: 2, RetryBackoff: 1})
	if err != nil {
		panic(err)
	}
	defer r.Shutdown(context.Background())

	id, err := r.Register(func(ctx context.Context) error {
		n, final := resource.AttemptFrom(ctx)
		fmt.Println("attempt", n, "final:", final)
		return errors.New("server busy")
	})
	if err != nil {
		panic(err)
	}
	err = r.Release(context.Background(), id)
	fmt.Println("gave up:", err != nil)
	// Output:
	// attempt 1 final: false
	// attempt 2 final: true
	// gave up: true
}
