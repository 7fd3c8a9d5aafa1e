package resource

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Entry states (the State values, stored in entry.state). The one transition
// out of stLive (CompareAndSwap) decides which releaser wins; from then on
// only the winner (or whoever it hands the entry to through a lock or a
// channel) writes the entry's mutable fields.
const (
	stLive     = uint32(StateLive)
	stWaiting  = uint32(StateWaiting)
	stQueued   = uint32(StateQueued)
	stRunning  = uint32(StateRunning)
	stBackoff  = uint32(StateBackoff)
	stDone     = uint32(StateDone)
	stDetached = uint32(StateDetached)
	// stNew: in the table but still linking to the resources it depends
	// on; nobody can claim it yet (Info shows it as live).
	stNew = uint32(StateDetached + 1)
	// stHeld: its Registered event is being delivered (see goLive); only a
	// release by ID (claimByID) can claim it (Info shows it as live).
	stHeld = uint32(StateDetached + 2)
)

// reason records why a claimed entry is being released.
type reason uint8

const (
	rsExplicit   reason = iota // Release
	rsAsync                    // ReleaseAsync
	rsExpired                  // TTL or idle timeout
	rsLeaked                   // the Guard became unreachable
	rsReclaim                  // Reclaim
	rsShutdown                 // Shutdown
	rsDependency               // a resource it depends on is being released
)

// runner is the cleanup of an entry: a typed Guard's box or a plain func.
type runner interface {
	run(ctx context.Context) error
}

type funcRunner func(context.Context) error

func (f funcRunner) run(ctx context.Context) error { return f(ctx) }

// entry is the registry's record of one resource. The registry holds
// entries, never Guards, so that a Guard can become unreachable.
type entry struct {
	reg   *Registry
	id    ID
	kind  string
	size  atomic.Int64 // bytes; SetSize may change it while the resource lives
	born  int64        // registry clock (ns)
	seq   uint64       // registration order (Registry.seq), unique per registry
	run   runner
	x     *extra                // rare options; nil when none were given
	links atomic.Pointer[links] // created on first use (dependencies, waiters)
	// sw is the state word: the incarnation in the high 32 bits, the state
	// (stLive...) in the low ones. A recycled entry (see recycle) gets a new
	// incarnation, so a claim that names the incarnation it saw (claimInc)
	// can never win a later resource that reuses the entry.
	sw     atomic.Uint64
	inc    uint32 // the incarnation; written only while the entry is unpublished
	prio   uint8  // a Priority
	reason reason // written by the claim winner
	leaky  bool   // a runtime cleanup watches the Guard

	// Owned by the current claim holder (handed on through the scheduler lock).
	prepared bool
	pooled   bool      // may be recycled (see recycle.go)
	recycle  bool      // its Guard released it: finish may recycle it
	timer    timerKind // protected by Registry.timers.mu
	acFlags  uint8     // the current attempt's acFallback, acPromised (attemptctx.go)
	attempts int32
	pending  atomic.Int32 // dependents this entry still waits for, plus one while preparing
	hidx     int32        // protected by Registry.timers.mu: 1-based position in the timer heap; 0 = not in it
	ac       *attemptCtx  // the cleanup's context; lives in the Guard, box or plainEntry

	// Protected by Registry.timers.mu (timer and hidx sit among the small
	// fields above so that the struct has no padding holes).
	due int64
}

func (e *entry) priority() Priority { return Priority(e.prio) }

// plainEntry is the entry of an untyped resource (Register) with its
// attempt context.
type plainEntry struct {
	entry
	actx attemptCtx
}

// st returns e's state.
func (e *entry) st() uint32 { return uint32(e.sw.Load()) }

// setState stores st for e's current incarnation. Only the claim holder
// (or the goroutine that has not published e yet) calls it.
func (e *entry) setState(st uint32) { e.sw.Store(uint64(e.inc)<<32 | uint64(st)) }

// incOf returns the incarnation in the state word (atomically).
func (e *entry) incOf() uint32 { return uint32(e.sw.Load() >> 32) }

// extra holds the options most resources do not use.
type extra struct {
	labels   []string
	depIDs   []ID
	deps     []*entry // resolved and linked at registration
	depIncs  []uint32 // the incarnation of each of deps when resolved
	ttl      time.Duration
	idle     time.Duration
	touched  atomic.Int64  // registry clock of the last Touch (idle timeout)
	timeout  time.Duration // 0: registry default; < 0: none
	fallback func(context.Context) error
	reclaim  func(context.Context) (int64, error)
	canRecl  bool
	stack    []uintptr // creation stack (leak detection)
}

// links connects an entry with others; allocated only when needed.
type links struct {
	mu         sync.Mutex // protects following fields
	dependents map[*entry]struct{}
	waiters    []*entry // entries waiting for this one to finish
	done       chan struct{}
	finished   bool
	// abandoned: a Shutdown whose context ended dropped this entry's
	// queued cleanup, or something it waits for: it will never finish.
	// gone is closed then (created on demand).
	abandoned bool
	gone      chan struct{}
}

func (e *entry) lnk() *links {
	if l := e.links.Load(); l != nil {
		return l
	}
	e.links.CompareAndSwap(nil, new(links))
	return e.links.Load()
}

func (e *entry) finished() bool {
	st := e.st()
	return st == stDone || st == stDetached
}

// claim makes the caller the single releaser of e's current incarnation.
// Only callers whose reference cannot be stale use it: entries with
// dependencies, timers, leak detection or links are never recycled.
func (e *entry) claim(why reason, st uint32) bool {
	return e.claimInc(e.incOf(), why, st)
}

// move changes e's state from `from` to `to` if e is incarnation inc in
// state from, and reports whether it did.
func (e *entry) move(inc, from, to uint32) bool {
	return e.sw.CompareAndSwap(uint64(inc)<<32|uint64(from), uint64(inc)<<32|uint64(to))
}

// claimInc makes the caller the single releaser of e if e is still the live
// incarnation inc.
func (e *entry) claimInc(inc uint32, why reason, st uint32) bool {
	if !e.move(inc, stLive, st) {
		return false
	}
	e.reason = why
	return true
}

// claimByID is claimInc for the releases by ID (Registry.Release,
// ReleaseAsync, Detach), which may also claim a resource whose Registered
// event is being delivered (stHeld): only the observer can know its ID
// then, and may release it (goLive then leaves it to that release).
func (e *entry) claimByID(inc uint32, why reason, st uint32) bool {
	if !e.move(inc, stLive, st) && !e.move(inc, stHeld, st) {
		return false
	}
	e.reason = why
	return true
}

// waitFor registers p as waiting for e to finish; false if e already has.
// gone reports that e was abandoned (it will never finish): p is not
// registered and must be abandoned too.
func (e *entry) waitFor(p *entry) (wait, gone bool) {
	l := e.lnk()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished || e.finished() {
		return false, false
	}
	if l.abandoned {
		return true, true
	}
	l.waiters = append(l.waiters, p)
	return true, false
}

// waitChans returns a channel closed when e has finished and one closed
// when e has been abandoned (see abandon).
func (e *entry) waitChans() (done, gone <-chan struct{}) {
	done = e.doneChan()
	l := e.lnk()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gone == nil {
		l.gone = make(chan struct{})
		if l.abandoned {
			close(l.gone)
		}
	}
	return done, l.gone
}

// abandon marks e, a claimed entry whose cleanup a stopped scheduler
// dropped (Shutdown's context ended), as never to finish: it wakes the
// releasers waiting for it (waitChans) and abandons the entries waiting
// for it in turn, so that nothing waits forever for what will not come.
func abandon(e *entry) {
	stack := []*entry{e}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		l := e.lnk()
		l.mu.Lock()
		if !l.finished && !e.finished() && !l.abandoned {
			l.abandoned = true
			if l.gone != nil {
				close(l.gone)
			}
			stack = append(stack, l.waiters...)
			l.waiters = nil
		}
		l.mu.Unlock()
	}
}

// isAbandoned reports whether e was abandoned (see abandon).
func (e *entry) isAbandoned() bool {
	l := e.links.Load()
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.abandoned
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// doneChan returns a channel closed when e has finished.
func (e *entry) doneChan() <-chan struct{} {
	l := e.lnk()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished || e.finished() {
		return closedChan
	}
	if l.done == nil {
		l.done = make(chan struct{})
	}
	return l.done
}

// markFinished stores the final state and returns the entries that waited.
// The state is stored before links is loaded, so a concurrent waitFor
// either sees the final state or is seen here.
func (e *entry) markFinished(st uint32) []*entry {
	e.setState(st)
	l := e.links.Load()
	if l == nil {
		return nil
	}
	l.mu.Lock()
	l.finished = true
	w := l.waiters
	l.waiters = nil
	if l.done != nil {
		close(l.done)
	}
	l.mu.Unlock()
	return w
}

// dependentsSnapshot returns e's dependents that have not finished.
func (e *entry) dependentsSnapshot() []*entry {
	l := e.links.Load()
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.dependents) == 0 {
		return nil
	}
	out := make([]*entry, 0, len(l.dependents))
	for d := range l.dependents {
		if !d.finished() {
			out = append(out, d)
		}
	}
	return out
}

func (e *entry) hasLiveDependents() bool {
	l := e.links.Load()
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for d := range l.dependents {
		if !d.finished() {
			return true
		}
	}
	return false
}

// linkableAs reports whether a new resource may depend on e as incarnation
// inc: e is live, or held (its Registered event is being delivered: the
// observer may register a dependent of it; only a release by ID, which
// then releases that dependent first, can claim e meanwhile).
func (e *entry) linkableAs(inc uint32) bool {
	w := e.sw.Load()
	return w == uint64(inc)<<32|uint64(stLive) || w == uint64(inc)<<32|uint64(stHeld)
}

// addDependent links d as a dependent of e; false if e is no longer
// linkable as incarnation inc. An entry with links is never recycled (see
// recycle).
func (e *entry) addDependent(d *entry, inc uint32) bool {
	if !e.linkableAs(inc) {
		return false
	}
	l := e.lnk()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !e.linkableAs(inc) {
		return false
	}
	if l.dependents == nil {
		l.dependents = make(map[*entry]struct{})
	}
	l.dependents[d] = struct{}{}
	return true
}

func (e *entry) removeDependent(d *entry) {
	l := e.links.Load()
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.dependents, d)
	l.mu.Unlock()
}

func (e *entry) fallback() func(context.Context) error {
	if e.x == nil {
		return nil
	}
	return e.x.fallback
}

func (e *entry) timeout(def time.Duration) time.Duration {
	if e.x == nil || e.x.timeout == 0 {
		return def
	}
	if e.x.timeout < 0 {
		return 0
	}
	return e.x.timeout
}

func (e *entry) reclaimable() bool { return e.x != nil && (e.x.canRecl || e.x.reclaim != nil) }

func (e *entry) timed() bool { return e.x != nil && (e.x.ttl > 0 || e.x.idle > 0) }

// stackString formats the recorded creation stack ("" if none).
func (e *entry) stackString() string {
	if e.x == nil || len(e.x.stack) == 0 {
		return ""
	}
	return formatStack(e.x.stack)
}

func formatStack(pcs []uintptr) string {
	var b []byte
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		b = append(b, f.Function...)
		b = append(b, "\n\t"...)
		b = append(b, f.File...)
		b = append(b, ':')
		b = appendInt(b, f.Line)
		b = append(b, '\n')
		if !more {
			break
		}
	}
	return string(b)
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
