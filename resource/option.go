package resource

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Option configures one resource at Track or Register time. Options are
// plain values (no closures), so applying them does not allocate.
type Option struct {
	key  optKey
	n    int64
	s    string
	strs []string
	ids  []ID
	fn   func(context.Context) error
	rfn  func(context.Context) (int64, error)
}

type optKey uint8

const (
	optNone optKey = iota
	optPriority
	optKind
	optSize
	optLabels
	optDeps
	optTTL
	optIdle
	optTimeout
	optFallback
	optReclaimable
	optReclaimWith
)

// WithPriority sets the resource's priority (default Normal). It decides the
// scheduler lane of its queued cleanups, the Shutdown order among
// independent resources, and the Reclaim order (Critical is never reclaimed).
func WithPriority(p Priority) Option { return Option{key: optPriority, n: int64(p)} }

// WithKind names the kind of resource ("llm-conn", "tempfile"); it appears in
// events, errors, Info, Stats and leak reports.
func WithKind(kind string) Option { return Option{key: optKind, s: kind} }

// WithSize records how many bytes the resource holds; Reclaim counts it as
// freed when it releases the resource. A Reclaimable resource without a
// size is released only by Reclaim(ctx, 0), never to meet a byte target.
func WithSize(bytes int64) Option { return Option{key: optSize, n: bytes} }

// WithLabels attaches key/value pairs (k1, v1, k2, v2, ...) shown in Info.
// An odd count is an error at registration.
func WithLabels(kv ...string) Option { return Option{key: optLabels, strs: kv} }

// DependsOn declares that the resource uses the given live resources: it is
// released before any of them (by Release, ReleaseAsync, expiry, Reclaim and
// Shutdown). Every id must be live at registration, or registration fails.
// Because dependencies must already exist, the graph can have no cycle.
func DependsOn(ids ...ID) Option { return Option{key: optDeps, ids: ids} }

// WithTTL releases the resource (through the scheduler, as Expired) once d
// has passed since registration. d <= 0 means no TTL.
func WithTTL(d time.Duration) Option { return Option{key: optTTL, n: int64(d)} }

// WithIdleTimeout releases the resource (as Expired) once d has passed
// without a Touch. d <= 0 means no idle timeout.
func WithIdleTimeout(d time.Duration) Option { return Option{key: optIdle, n: int64(d)} }

// WithCleanupTimeout overrides Options.CleanupTimeout for this resource's
// attempts; d < 0 means no timeout, 0 means the registry's default.
func WithCleanupTimeout(d time.Duration) Option { return Option{key: optTimeout, n: int64(d)} }

// WithFallback sets the cleanup run when the main cleanup fails with a
// Fallback-classified error, panics, or exhausts its retries. It runs once,
// with the same per-attempt timeout.
func WithFallback(fallback func(context.Context) error) Option {
	return Option{key: optFallback, fn: fallback}
}

// Reclaimable lets Reclaim release the resource to free memory. Give it a
// size (WithSize): with size 0 only Reclaim(ctx, 0) and memory pressure at
// Critical release it.
func Reclaimable() Option { return Option{key: optReclaimable} }

// ReclaimWith makes the resource reclaimable, but Reclaim calls reclaim
// (which gives back part of what the resource holds and returns how many
// bytes it freed) instead of releasing it; the resource stays live.
// Reclaim skips a resource that is no longer live when its turn comes, but
// a release that starts while reclaim runs does not wait for it: reclaim
// must tolerate running concurrently with the cleanup. A negative freed is
// a failure of the resource: Reclaim counts 0 for it and returns an error
// naming it (joined with err, if any).
func ReclaimWith(reclaim func(ctx context.Context) (freed int64, err error)) Option {
	return Option{key: optReclaimWith, rfn: reclaim}
}

func (e *entry) ext() *extra {
	if e.x == nil {
		e.x = new(extra)
	}
	return e.x
}

// apply sets e's options; it fails on an invalid one (the plain options
// are checked first).
func (e *entry) apply(opts []Option) error {
	p, plain, err := parsePlain(opts)
	if err != nil {
		return err
	}
	return e.applyParsed(p, plain, opts)
}

// applyParsed finishes apply once parsePlain has parsed opts into p.
func (e *entry) applyParsed(p plainOpts, plain bool, opts []Option) error {
	if !plain {
		for i := range opts {
			if o := &opts[i]; !o.key.plain() {
				if err := e.applyExtra(o); err != nil {
					return err
				}
			}
		}
	}
	e.setPlain(p)
	return nil
}

// plainOpts are the options an entry keeps in its own fields.
type plainOpts struct {
	kind string
	size int64
	prio uint8
}

// plain reports whether k is an option an entry keeps in its own fields.
func (k optKey) plain() bool { return k == optPriority || k == optKind || k == optSize }

// parsePlain parses the plain options in opts (priority, kind, size),
// failing on the first invalid one; plain reports whether every option was
// plain (the others are left to applyExtra).
func parsePlain(opts []Option) (p plainOpts, plain bool, err error) {
	p.prio, plain = uint8(Normal), true
	for i := range opts {
		o := &opts[i]
		switch o.key {
		case optKind:
			p.kind = o.s
		case optSize:
			if o.n < 0 {
				return p, plain, errSize(o.n)
			}
			p.size = o.n
		case optPriority:
			if !Priority(o.n).valid() {
				return p, plain, errPriority(o.n)
			}
			p.prio = uint8(o.n)
		default:
			plain = false
		}
	}
	return p, plain, nil
}

func errPriority(n int64) error { return fmt.Errorf("resource: WithPriority(%d): no such priority", n) }

func errSize(n int64) error { return fmt.Errorf("resource: WithSize(%d): size must be >= 0", n) }

// setPlain stores p in e (the kind only if it changes: a pointer write
// costs a write barrier while the GC marks).
func (e *entry) setPlain(p plainOpts) {
	e.prio = p.prio
	if e.kind != p.kind {
		e.kind = p.kind
	}
	e.size.Store(p.size)
}

func (e *entry) applyExtra(o *Option) error {
	switch o.key {
	case optLabels:
		if len(o.strs)%2 != 0 {
			return fmt.Errorf("resource: WithLabels: odd number of arguments (%d)", len(o.strs))
		}
		e.ext().labels = append(e.ext().labels, o.strs...)
	case optDeps:
		e.ext().depIDs = append(e.ext().depIDs, o.ids...)
	case optTTL:
		if o.n > 0 {
			e.ext().ttl = time.Duration(o.n)
		}
	case optIdle:
		if o.n > 0 {
			e.ext().idle = time.Duration(o.n)
		}
	case optTimeout:
		e.ext().timeout = time.Duration(o.n)
	case optFallback:
		e.ext().fallback = o.fn
	case optReclaimable:
		e.ext().canRecl = true
	case optReclaimWith:
		e.ext().reclaim = o.rfn
	case optNone:
		return errors.New("resource: zero Option")
	}
	return nil
}
