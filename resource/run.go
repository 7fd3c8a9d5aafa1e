package resource

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"
)

// This file runs cleanups: one attempt, the recovery strategies, and the
// two drivers (releaseClaimed on a caller's goroutine, step on a worker).

// releaseClaimed releases e, which the caller has claimed, on the caller's
// goroutine: its live dependents first (depth-first, each on this goroutine
// unless another releaser already owns it, in which case it waits for that
// one), then e's own attempts.
func (r *Registry) releaseClaimed(ctx context.Context, e *entry) error {
	var depErrs []error
	if deps := e.dependentsSnapshot(); len(deps) > 0 {
		e.setState(stWaiting)
		for _, d := range deps {
			if d.claim(rsDependency, stRunning) {
				if err := r.releaseClaimed(ctx, d); err != nil {
					depErrs = append(depErrs, err)
				}
				if d.finished() {
					continue
				}
				// ctx ended and d went to the scheduler (a retry backoff
				// or a dependent of its own): e must wait for it there.
			}
			if err := r.awaitDependent(ctx, e, d); err != nil {
				return errors.Join(append(depErrs, err)...)
			}
		}
	}
	err := r.execSync(ctx, e)
	if len(depErrs) == 0 {
		return err
	}
	return errors.Join(append(depErrs, err)...)
}

// awaitDependent waits on the caller's goroutine until e's dependent d,
// which another releaser owns, has finished. If ctx ends first, e is handed
// to the scheduler (keeping the order and the claim: it runs once its
// dependents have finished). If d was abandoned (a Shutdown whose context
// ended dropped it or what it waits for), it will never finish: e is
// abandoned too and left unfinished (the *ShutdownError names both).
func (r *Registry) awaitDependent(ctx context.Context, e, d *entry) error {
	done, gone := d.waitChans()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		e.reason = rsAsync
		r.sched.enqueue(e)
		return fmt.Errorf("resource %v: waiting for dependent %v: %w (cleanup handed to the scheduler)", e.id, d.id, ctx.Err())
	case <-gone:
		abandon(e)
		return fmt.Errorf("resource %v: dependent %v was left unfinished by Shutdown: %w", e.id, d.id, ErrShuttingDown)
	}
}

// execSync runs e's attempts on the caller's goroutine.
func (r *Registry) execSync(ctx context.Context, e *entry) error {
	for {
		if e.st() != stRunning {
			e.setState(stRunning)
		}
		err := r.runAttempt(ctx, e, false)
		if err == nil {
			r.succeed(e, false)
			return nil
		}
		switch r.decide(ctx, e, err) {
		case Retry:
			d := r.noteRetry(e)
			e.setState(stBackoff)
			if werr := r.sleep(ctx, d); werr != nil {
				return r.handOff(e, d, err, werr)
			}
		case Fallback:
			return r.fallBack(ctx, e, err)
		default:
			return r.giveUp(e, err, false)
		}
	}
}

// handOff gives the scheduler a claimed entry whose caller stopped waiting
// (its ctx ended during a retry backoff): the retry runs on a worker once
// the backoff is over, so the cleanup is not abandoned with attempts left.
// The caller gets the failed attempt's error and ctx's.
func (r *Registry) handOff(e *entry, d time.Duration, err, werr error) error {
	e.prepared = true // its dependents were released before the first attempt
	if !r.timers.addRetry(e, d) {
		r.sched.enqueue(e) // draining: retry now
	}
	return fmt.Errorf("resource %v: cleanup attempt failed: %w; %w while waiting to retry (retries handed to the scheduler)", e.id, err, werr)
}

// sleep waits out a backoff on a caller's goroutine: until d has passed,
// ctx ends (an error) or Shutdown begins (retry now).
func (r *Registry) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.shut.draining:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// step is what a worker does with a queued entry.
func (r *Registry) step(e *entry) {
	if !e.prepared {
		e.prepared = true
		r.noteReason(e)
		if r.waitDependents(e) {
			return
		}
	}
	ctx := r.workCtx()
	e.setState(stRunning)
	err := r.runAttempt(ctx, e, true)
	if err == nil {
		r.succeed(e, false)
		return
	}
	switch r.decide(ctx, e, err) {
	case Retry:
		d := r.noteRetry(e)
		e.setState(stBackoff)
		if !r.timers.addRetry(e, d) {
			r.sched.enqueue(e) // draining: queued retries run now
		}
	case Fallback:
		_ = r.fallBack(ctx, e, err)
	default:
		_ = r.giveUp(e, err, false)
	}
}

// noteReason counts and reports why a queued entry is being released.
func (r *Registry) noteReason(e *entry) {
	switch e.reason {
	case rsLeaked:
		r.reportLeak(e)
	case rsExpired:
		r.shardOf(e.id).c.expired.Add(1)
		if r.obs != nil {
			r.emit(Expired, e, 0, nil)
		}
	}
}

// waitDependents claims e's live dependents for the scheduler and reports
// whether e must wait for some; the last one to finish re-enqueues e.
func (r *Registry) waitDependents(e *entry) bool {
	deps := e.dependentsSnapshot()
	if len(deps) == 0 {
		return false
	}
	e.setState(stWaiting)
	e.pending.Store(1)
	gone := false
	for _, d := range deps {
		if d.claim(rsDependency, stQueued) {
			r.sched.enqueue(d)
		}
		e.pending.Add(1)
		wait, dgone := d.waitFor(e)
		if !wait {
			e.pending.Add(-1)
		}
		gone = gone || dgone // its count stays: e must never run
	}
	if gone {
		abandon(e)
	}
	return e.pending.Add(-1) != 0
}

func (r *Registry) workCtx() context.Context {
	if p := r.shut.ctx.Load(); p != nil {
		return *p
	}
	return context.Background()
}

// runAttempt runs one attempt of e's cleanup, recovering a panic.
func (r *Registry) runAttempt(ctx context.Context, e *entry, onWorker bool) error {
	e.attempts++
	err := r.call(ctx, e, e.run, onWorker, false)
	if err != nil && r.obs != nil {
		r.emit(CleanupFailed, e, int(e.attempts), err)
	}
	return err
}

// call runs fn under e's attempt context and records its latency: always
// on a worker, one attempt in eight on a caller's goroutine (each clock
// read costs tens of nanoseconds on the hot path). An attempt it does not
// time, with a long timeout, starts on the coarse clock (see clock.go).
func (r *Registry) call(ctx context.Context, e *entry, fn runner, measure, fallback bool) error {
	measure = measure || r.sampled(e.id)
	t := e.timeout(r.cfg.cleanupTimeout)
	var start int64
	if measure || (t > 0 && t < coarseMinTimeout) {
		start = r.now()
	} else if t > 0 {
		start = r.coarseNow()
	}
	var deadline int64
	if t > 0 {
		deadline = addSat(start, int64(t))
	}
	e.ac.start(e, ctx, deadline, fallback)
	err := r.protect(e, fn, fallback)
	e.ac.end()
	if measure {
		r.shardOf(e.id).hist.record(time.Duration(r.now() - start))
	}
	return err
}

// errGoexit is the cause recorded for a cleanup that called runtime.Goexit.
var errGoexit = errors.New("resource: cleanup called runtime.Goexit (t.FailNow?)")

// protect runs fn, turning a panic into a *PanicError. A runtime.Goexit
// (t.FailNow in a test's cleanup) cannot be stopped: the resource is then
// finished as failed on the way out, so that nothing waits for it forever.
func (r *Registry) protect(e *entry, fn runner, fallback bool) (err error) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: string(debug.Stack())}
			return
		}
		e.ac.end()
		_ = r.giveUp(e, errGoexit, fallback)
	}()
	err = fn.run(e.ac)
	returned = true
	return err
}

// decide picks the strategy after a failed attempt: the error's own
// classification, except that a cancelled parent context (the caller or
// Shutdown gave up) fails at once, exhausted retries fall back, and
// Fallback without a fallback fails. A context that ended after
// AttemptFrom told the cleanup that a retry would follow does not fail it:
// the cleanup may have kept state for that retry (a pool keeps the
// connection's slot); on a caller's goroutine the retry then goes to the
// scheduler (handOff).
func (r *Registry) decide(ctx context.Context, e *entry, err error) Strategy {
	if ctx.Err() != nil && e.acFlags&acPromised == 0 {
		return Fail
	}
	s := StrategyOf(err)
	if s == Retry && int(e.attempts) >= r.cfg.maxAttempts {
		s = Fallback
	}
	if s == Fallback && e.fallback() == nil {
		s = Fail
	}
	return s
}

// noteRetry counts and reports a retry and returns its backoff.
func (r *Registry) noteRetry(e *entry) time.Duration {
	r.shardOf(e.id).c.retried.Add(1)
	if r.obs != nil {
		r.emit(Retrying, e, int(e.attempts)+1, nil)
	}
	return backoff(r.cfg.retryBackoff, int(e.attempts))
}

// backoff is base·2^(attempt-1) (the doubling capped at 2^20), drawn
// uniformly from its upper half. The product saturates at the longest
// Duration (shlSat): wrapped around, it was negative and the retry ran at
// once.
func backoff(base time.Duration, attempt int) time.Duration {
	d := time.Duration(shlSat(int64(base), uint(min(max(attempt-1, 0), 20))))
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(d-half)+1))
}

// fallBack runs e's fallback after the main cleanup failed with cause.
func (r *Registry) fallBack(ctx context.Context, e *entry, cause error) error {
	e.setState(stRunning)
	ferr := r.call(ctx, e, funcRunner(e.fallback()), true, true)
	if r.obs != nil {
		r.emit(FellBack, e, int(e.attempts), ferr)
	}
	if ferr == nil {
		r.succeed(e, true)
		return nil
	}
	return r.giveUp(e, errors.Join(cause, fmt.Errorf("fallback: %w", ferr)), true)
}

func (r *Registry) succeed(e *entry, viaFallback bool) {
	out := outSucceeded
	if viaFallback {
		out = outFellBack
	}
	r.finish(e, stDone, out, Released, int(e.attempts), nil)
}

// giveUp records that e's cleanup failed for good and finishes e.
func (r *Registry) giveUp(e *entry, err error, fellBack bool) error {
	ce := &CleanupError{ID: e.id, Kind: e.kind, Priority: e.priority(), Attempts: int(e.attempts), Fallback: fellBack, Err: err}
	var pe *PanicError
	if errors.As(err, &pe) {
		ce.Panic, ce.Stack = pe.Value, pe.Stack
	}
	r.fails.add(ce, r.phase.Load() != int32(PhaseRunning))
	r.finish(e, stDone, outFailed, GaveUp, int(e.attempts), ce)
	return ce
}
