package resource

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

type shutdownState struct {
	once sync.Once
	done chan struct{}
	err  error
	ctx  atomic.Pointer[context.Context] // parent context of queued cleanups once draining
	// draining is closed when Shutdown begins: a synchronous retry waiting
	// out its backoff on a caller's goroutine then retries at once.
	draining chan struct{}
}

// Shutdown releases every resource and stops the registry. From its first
// instant, Track and Register fail with ErrShuttingDown. Every live resource
// is claimed and queued: a resource's cleanup starts only after every
// resource that depends on it has finished, and among the ready ones lanes
// are served Critical, High, Normal, Low, each in registration order, in
// parallel up to Options.Workers. Cleanups already in flight (Release on other
// goroutines, queued or retrying cleanups) are awaited; pending retries, on
// workers or in a Release call, run at once instead of waiting out their
// backoff. Queued cleanups run under ctx, so they see it end.
//
// Shutdown returns nil if everything was released. Otherwise it returns a
// *ShutdownError naming every cleanup that failed for good during the
// shutdown and, if ctx ended first, every resource that had not finished
// (with its State); those queued but not started are never run (nothing is
// skipped silently: they are in the error), nor are the resources they
// depend on, and a Release waiting for one of them returns an error
// matching ErrShuttingDown instead of waiting forever. When ctx ended while
// a cleanup ignores its context and hangs, that worker goroutine exits only
// when the cleanup returns.
//
// Its ShutdownDone event is the registry's last: Shutdown also waits (until
// ctx ends) for the events of releases that finished on other goroutines
// as it began, so an Observer must not wait for Shutdown to return. A later
// Release, ReleaseAsync or Detach of a resource whose queued cleanup it
// dropped returns an error matching ErrShuttingDown (one still waiting for
// a dependent whose cleanup hangs past ctx gives ErrReleased until that
// cleanup returns).
//
// Shutdown is idempotent and safe for concurrent use: later callers wait for
// the first one and get the same result (or, if their own ctx ends first,
// an error wrapping ctx.Err()).
func (r *Registry) Shutdown(ctx context.Context) error {
	if r == nil || r.shards == nil {
		return r.unusable("Shutdown")
	}
	first := false
	r.shut.once.Do(func() {
		first = true
		r.shut.done = make(chan struct{})
	})
	if first {
		r.shut.err = r.shutdown(ctx)
		close(r.shut.done)
		return r.shut.err
	}
	select {
	case <-r.shut.done:
		return r.shut.err
	case <-ctx.Done():
		return fmt.Errorf("resource: shutdown still in progress: %w", ctx.Err())
	}
}

func (r *Registry) shutdown(ctx context.Context) error {
	r.shut.ctx.Store(&ctx)
	r.phase.Store(int32(PhaseDraining))
	close(r.shut.draining)
	if r.unwatch != nil {
		r.unwatch()
	}
	r.Len() // a barrier: every insert that missed the phase change has finished
	if r.obs != nil {
		r.obs.Observe(r.registryEvent(ShutdownStarted, nil))
	}
	r.sched.enqueueAll(r.timers.drain())
	all := r.snapshot()
	slices.SortFunc(all, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
	claimed := make([]*entry, 0, len(all))
	for _, e := range all {
		if e.claim(rsShutdown, stQueued) {
			claimed = append(claimed, e)
		}
	}
	r.sched.enqueueAll(claimed)
	ctxErr := r.await(ctx, all)
	r.sched.stop()
	if ctxErr == nil {
		r.sched.wg.Wait()
	}
	r.awaitDeliveries(ctx) // the events of releases that finished as it began
	r.timers.stop()
	r.stopCoarse()
	r.phase.Store(int32(PhaseStopped))
	err := r.shutdownResult(ctxErr)
	if r.obs != nil {
		r.obs.Observe(r.registryEvent(ShutdownDone, err))
	}
	return err
}

// await waits until every entry has finished or ctx ends.
func (r *Registry) await(ctx context.Context, all []*entry) error {
	for _, e := range all {
		select {
		case <-e.doneChan():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (r *Registry) shutdownResult(ctxErr error) error {
	se := &ShutdownError{Err: ctxErr, Failed: r.fails.sinceShutdown()}
	if ctxErr != nil {
		for _, e := range r.snapshot() {
			se.Unfinished = append(se.Unfinished, r.info(e))
		}
		slices.SortFunc(se.Unfinished, func(a, b Info) int { return cmp.Compare(a.ID, b.ID) })
	}
	if se.Err == nil && len(se.Failed) == 0 && len(se.Unfinished) == 0 {
		return nil
	}
	return se
}

func (r *Registry) registryEvent(t EventType, err error) Event {
	return Event{Type: t, Time: time.Now(), Err: err}
}
