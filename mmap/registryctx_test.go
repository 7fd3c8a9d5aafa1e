//go:build linux || darwin

package mmap_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/mmap"
	"github.com/patinox/memory/resource"
)

// blockedView starts a View of m that stays inside its callback until
// release is closed; it returns once the view is running, and the view's
// error arrives on the returned channel.
func blockedView(t *testing.T, m *mmap.Map, release <-chan struct{}) <-chan error {
	t.Helper()
	entered, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- m.View(func(b []byte) error {
			close(entered)
			<-release
			sink = b[0]
			return nil
		})
	}()
	<-entered
	return done
}

// openTrackedIn opens path read-only, tracked in r.
func openTrackedIn(t *testing.T, r *resource.Registry, path string) *mmap.Map {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mmap.OpenFile(f, 0, -1, mmap.ReadOnly, &mmap.Options{Registry: r})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// registryWith returns a registry with options o; the test shuts it down.
func registryWith(t *testing.T, o *resource.Options) *resource.Registry {
	t.Helper()
	r, err := resource.NewRegistry(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRegistryReleaseHonoursContext: a registry release (Release, Shutdown,
// ReleaseMatching) of a Map whose views are still running waits for them
// only as long as its context allows. When ctx ends first it returns an
// error wrapping ctx.Err(), new views stay refused, and Close later finishes
// the job once the views are done.
func TestRegistryReleaseHonoursContext(t *testing.T) {
	path := tempFile(t, pattern(page))
	synctest.Test(t, func(t *testing.T) {
		r := registryWith(t, nil)
		m := openTrackedIn(t, r, path)
		id, _ := m.ID()
		release := make(chan struct{})
		viewDone := blockedView(t, m, release)

		ctx, cancel := context.WithCancel(context.Background())
		released := make(chan error, 1)
		go func() { released <- r.Release(ctx, id) }()
		synctest.Wait() // the cleanup is waiting for the view
		if err := m.View(func([]byte) error { return nil }); !errors.Is(err, mmap.ErrClosed) {
			t.Errorf("View during the registry release err = %v, want ErrClosed", err)
		}
		cancel()
		synctest.Wait()
		var relErr error
		returned := false
		select {
		case relErr = <-released:
			returned = true
		default:
		}
		if err := m.View(func([]byte) error { return nil }); !errors.Is(err, mmap.ErrClosed) {
			t.Errorf("View after the failed registry release err = %v, want ErrClosed", err)
		}
		close(release) // let the view (and a stuck Release) finish before failing
		if err := <-viewDone; err != nil {
			t.Errorf("running view err = %v", err)
		}
		if !returned {
			relErr = <-released
			t.Fatalf("Release returned only after the view ended, long after its ctx (err %v)", relErr)
		}
		if !errors.Is(relErr, context.Canceled) {
			t.Fatalf("Release err = %v, want one wrapping context.Canceled", relErr)
		}
		if err := m.Close(); err != nil {
			t.Fatalf("Close after the failed registry release: %v", err)
		}
		if _, err := m.ReadAt(make([]byte, 1), 0); !errors.Is(err, mmap.ErrClosed) {
			t.Fatalf("ReadAt after Close err = %v, want ErrClosed", err)
		}
		_ = r.Shutdown(context.Background())
	})
}

// TestRegistryRetryFinishesRelease: a cleanup attempt cut short by the
// registry's CleanupTimeout fails with context.DeadlineExceeded, and the
// registry's retry, once the views are done, releases the Map.
func TestRegistryRetryFinishesRelease(t *testing.T) {
	path := tempFile(t, pattern(page))
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var failures []error // of attempts
		obs := resource.ObserverFunc(func(ev resource.Event) {
			if ev.Type == resource.CleanupFailed {
				mu.Lock()
				failures = append(failures, ev.Err)
				mu.Unlock()
			}
		})
		r := registryWith(t, &resource.Options{
			CleanupTimeout: time.Second, RetryBackoff: time.Second, MaxAttempts: 1000, Observer: obs,
		})
		m := openTrackedIn(t, r, path)
		id, _ := m.ID()
		release := make(chan struct{})
		viewDone := blockedView(t, m, release)
		released := make(chan error, 1)
		go func() { released <- r.Release(context.Background(), id) }()
		// A minute of the bubble's clock: attempts time out and are retried.
		<-time.After(time.Minute)
		synctest.Wait()
		close(release)
		if err := <-viewDone; err != nil {
			t.Errorf("running view err = %v", err)
		}
		if err := <-released; err != nil {
			t.Fatalf("Release: %v", err)
		}
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(failures) == 0 {
			t.Fatal("no attempt failed while the view ran past CleanupTimeout")
		}
		for _, err := range failures {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("failed attempt err = %v, want one wrapping context.DeadlineExceeded", err)
			}
		}
		if _, ok := r.Info(id); ok {
			t.Fatal("the registry still holds the Map after the retry")
		}
		if _, err := m.ReadAt(make([]byte, 1), 0); !errors.Is(err, mmap.ErrClosed) {
			t.Fatalf("ReadAt after the registry release err = %v, want ErrClosed", err)
		}
		if err := m.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		_ = r.Shutdown(context.Background())
	})
}

// TestCloseWaitsDespiteCleanupTimeout: Close waits for running views
// without a bound; with a Registry it asks the registry for the release,
// and the registry's CleanupTimeout must not turn that wait into an error
// (or a failure on the registry's record) while Close then waits anyway.
func TestCloseWaitsDespiteCleanupTimeout(t *testing.T) {
	path := tempFile(t, pattern(page))
	synctest.Test(t, func(t *testing.T) {
		r := registryWith(t, &resource.Options{CleanupTimeout: time.Second, MaxAttempts: 1})
		m := openTrackedIn(t, r, path)
		release := make(chan struct{})
		viewDone := blockedView(t, m, release)
		closed := make(chan error, 1)
		go func() { closed <- m.Close() }()
		select {
		case err := <-closed:
			t.Errorf("Close returned (%v) while a view was running", err)
		case <-time.After(time.Minute): // of the bubble's clock
		}
		close(release)
		if err := <-viewDone; err != nil {
			t.Errorf("running view err = %v", err)
		}
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
		if f := r.Failures(); len(f) != 0 {
			t.Fatalf("the registry recorded failures for a Close that succeeded: %v", f)
		}
		_ = r.Shutdown(context.Background())
	})
}
