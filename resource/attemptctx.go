package resource

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// attemptCtx is the context of one cleanup attempt: its parent plus the
// per-attempt deadline. It lives inside the entry and builds the real
// context.WithDeadline (in derivedCtx) only when the cleanup asks for Done,
// so a cleanup that never looks at its context costs no allocation.
// Attempts of one entry never overlap, so it is reused across attempts.
type attemptCtx struct {
	parent   context.Context
	e        *entry // its entry (e.reg, and e.attempts for AttemptFrom)
	deadline int64  // registry clock; 0: no per-attempt deadline
	derived  atomic.Pointer[derivedCtx]
}

type derivedCtx struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
}

// newAttemptCtx returns an attempt context filled with the usual parent,
// for a composite literal: start then need not write it (stores into a new
// object need no write barrier; later ones do while the GC marks). Its
// entry, not known yet, is set by the first start.
func newAttemptCtx() attemptCtx {
	return attemptCtx{parent: context.Background()}
}

// start begins an attempt of e's cleanup (fallback: of its fallback).
func (c *attemptCtx) start(e *entry, parent context.Context, deadline int64, fallback bool) {
	if c.derived.Load() != nil { // built late by a goroutine that outlived the last attempt
		c.end()
	}
	e.acFlags = 0
	if fallback {
		e.acFlags = acFallback
	}
	// Pointer writes cost a write barrier while the GC marks; on the hot
	// path (one attempt, the same entry and parent) they are skipped.
	if c.e != e {
		c.e = e
	}
	if c.parent != parent {
		c.parent = parent
	}
	c.deadline = deadline
}

// acFlags bits: the state of an entry's current attempt.
const (
	acFallback = 1 << iota // the call is the fallback, not an attempt of the cleanup
	acPromised             // AttemptFrom told the cleanup that a Retry failure is retried (decide)
)

// end cancels the derived context, if one was built. The plain load keeps
// the common case (the cleanup never asked for Done) free of atomic
// read-modify-writes.
func (c *attemptCtx) end() {
	if c.derived.Load() == nil {
		return
	}
	if d := c.derived.Swap(nil); d != nil {
		d.get(c).cancel()
	}
}

func (c *attemptCtx) deadlineTime() time.Time { return c.e.reg.wall(c.deadline) }

func (d *derivedCtx) get(c *attemptCtx) *derivedCtx {
	d.once.Do(func() { d.ctx, d.cancel = context.WithDeadline(c.parent, c.deadlineTime()) })
	return d
}

func (c *attemptCtx) Deadline() (time.Time, bool) {
	pd, ok := c.parent.Deadline()
	if c.deadline == 0 {
		return pd, ok
	}
	if dl := c.deadlineTime(); !ok || dl.Before(pd) {
		return dl, true
	}
	return pd, true
}

func (c *attemptCtx) Done() <-chan struct{} {
	if c.deadline == 0 {
		return c.parent.Done()
	}
	d := c.derived.Load()
	if d == nil {
		c.derived.CompareAndSwap(nil, new(derivedCtx))
		d = c.derived.Load()
		if d == nil { // the attempt is over
			return closedChan
		}
	}
	return d.get(c).ctx.Done()
}

func (c *attemptCtx) Err() error {
	if d := c.derived.Load(); d != nil {
		return d.get(c).ctx.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if c.deadline != 0 && c.e.reg.now() >= c.deadline {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *attemptCtx) Value(key any) any {
	if key == (attemptKey{}) { // AttemptFrom, through contexts derived from c
		return c
	}
	return c.parent.Value(key)
}

func (c *attemptCtx) String() string { return "resource.attemptCtx" }
