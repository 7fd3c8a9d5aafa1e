package resource

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Registry tracks live resources and runs their cleanups exactly once.
// Create one with NewRegistry. A zero Registry holds nothing: Track,
// Register and Shutdown fail on it (or on a nil *Registry) with an error
// saying so, methods taking an ID report ErrNotFound, and the others see
// an empty registry (Len 0, Reclaim frees nothing, ...). All
// methods are safe for concurrent use. A Registry must be shut down with
// Shutdown to release what is still live; an idle Registry runs no
// goroutine and arms no timer, so forgetting Shutdown leaks resources, not
// goroutines.
type Registry struct {
	cfg    config
	obs    Observer
	epoch  time.Time
	shift  uint // log2(len(shards))
	phase  atomic.Int32
	shards []shard
	mask   uint64

	sched  scheduler
	timers timers
	fails  failureLog
	leaks  leakLog
	shut   shutdownState
	clock  coarseClock
	seq    seqCounter

	deliveries deliveries // see deliver.go

	unwatch func() // ends the pressure subscription; nil without Options.Pressure
}

type shard struct {
	mu   sync.Mutex // protects following fields
	t    table
	free []*entry // recycled entries (see recycle.go), at most maxFree
	// Counters of resources that entered and left this shard.
	registered, succeeded, fellBack, failed, detached uint64

	c    counters
	hist histogram
	// delivering counts reports to the Observer in flight (see deliver.go);
	// raised under mu, lowered without it.
	delivering atomic.Int32
	_          [64]byte
}

// seqCounter hands out registration sequence numbers: the order in which
// Shutdown releases independent resources of one priority and the last
// tie-break of Reclaim. IDs cannot serve: their shard and slot say nothing
// of order, and the coarse birth time of two resources registered within a
// millisecond is the same. It has a cache line of its own: every
// registration writes it.
type seqCounter struct {
	_ [64]byte
	n atomic.Uint64
	_ [56]byte
}

// NewRegistry returns a running Registry configured by o (nil = defaults).
// It fails if a field of o is invalid, naming the field.
func NewRegistry(o *Options) (*Registry, error) {
	cfg, err := o.config()
	if err != nil {
		return nil, err
	}
	shift := uint(bits.Len(uint(8*runtime.GOMAXPROCS(0) - 1)))
	shift = max(4, min(shift, 8))
	n := 1 << shift
	r := &Registry{cfg: cfg, obs: cfg.obs, epoch: time.Now(), shards: make([]shard, n), mask: uint64(n - 1), shift: shift}
	for i := range r.shards {
		// At least a cache line each, so shards used by different Ps
		// never share one through their slices.
		r.shards[i].t.slots = make([]slot, 0, 16)
		r.shards[i].t.free = make([]uint32, 0, 16)
	}
	r.shut.draining = make(chan struct{})
	r.sched.init(r, cfg.workers)
	r.timers.r = r
	r.initCoarse()
	r.fails.max = cfg.failureHistory
	if cfg.pressure != nil {
		r.watchPressure(cfg.pressure)
	}
	return r, nil
}

// now is the registry clock: nanoseconds since NewRegistry (monotonic).
func (r *Registry) now() int64 { return int64(time.Since(r.epoch)) }

func (r *Registry) wall(ns int64) time.Time { return r.epoch.Add(time.Duration(ns)) }

// An ID names a slot of a shard's table (see table) with the shard index in
// its low bits, so allocating an ID needs no shared counter: it happens
// under the shard's lock, which insert takes anyway. The shard of a new
// resource comes from an address (shardFor): goroutines on different Ps
// allocate from different memory spans, so they work on different shards
// and share no cache line.
func (r *Registry) shardOf(id ID) *shard { return &r.shards[uint64(id)&r.mask] }

// lookup returns the entry of id and its incarnation, read under the
// shard's lock: the caller may then act on the entry only through
// claimInc or other incarnation checks, since the entry may be recycled
// for another resource as soon as the lock is released.
func (r *Registry) lookup(id ID) (*entry, uint32) {
	if r == nil || len(r.shards) == 0 { // not made by NewRegistry: holds nothing
		return nil, 0
	}
	sh := r.shardOf(id)
	s, gen := r.slotOf(id)
	sh.mu.Lock()
	e := sh.t.get(s, gen)
	var inc uint32
	if e != nil {
		inc = e.inc
	}
	sh.mu.Unlock()
	return e, inc
}

// withEntry calls fn with the entry of id under the shard's lock (fn must
// not call out of the package); false if id is not in the registry.
func (r *Registry) withEntry(id ID, fn func(e *entry)) bool {
	if r == nil || len(r.shards) == 0 { // not made by NewRegistry: holds nothing
		return false
	}
	sh := r.shardOf(id)
	s, gen := r.slotOf(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.t.get(s, gen)
	if e == nil {
		return false
	}
	fn(e)
	return true
}

// Register tracks a resource given by its cleanup alone and returns its ID.
// The cleanup runs exactly once: on Release, ReleaseAsync, expiry, Reclaim
// or Shutdown, whichever comes first. There is no Guard, so the leak
// detector does not watch it: the caller owns the ID and must release it
// (or leave it to Shutdown). Register fails with ErrShuttingDown once
// Shutdown has begun, and on invalid options (the cleanup is then not
// called).
func (r *Registry) Register(cleanup func(context.Context) error, opts ...Option) (ID, error) {
	if r == nil || r.shards == nil {
		return 0, r.unusable("Register")
	}
	if cleanup == nil {
		return 0, errors.New("resource: Register: nil cleanup")
	}
	pe := &plainEntry{actx: newAttemptCtx()}
	e := &pe.entry
	e.run, e.ac = funcRunner(cleanup), &pe.actx
	if err := e.apply(opts); err != nil {
		return 0, err
	}
	if err := r.insert(e, shardFor(e, r.mask)); err != nil {
		return 0, err
	}
	return e.id, nil
}

// unusable is the error of op on a nil or zero Registry (not made by
// NewRegistry), which can neither register nor shut down.
func (r *Registry) unusable(op string) error {
	if r == nil {
		return fmt.Errorf("resource: %s: nil Registry", op)
	}
	return fmt.Errorf("resource: %s: zero Registry (create one with NewRegistry)", op)
}

// insert gives e its ID in shard idx (see shardFor) and makes it live.
func (r *Registry) insert(e *entry, idx uint64) error {
	if e.reg != r { // a recycled entry keeps it (one write barrier less)
		e.reg = r
	}
	linked := e.x != nil && len(e.x.depIDs) > 0
	if linked {
		if err := r.resolveDeps(e); err != nil {
			return err
		}
		e.setState(stNew) // not claimable until linked (linkDeps)
	} else if r.obs != nil {
		e.setState(stHeld) // until announced (goLive)
	}
	if e.timed() { // its timers are due relative to its birth: exact
		e.born = r.now()
		e.x.touched.Store(e.born) // before it is published: Reclaim and Info read it
	} else {
		e.born = r.coarseNow() // see clock.go
	}
	sh := &r.shards[idx]
	sh.mu.Lock()
	err := r.addLocked(sh, idx, e)
	sh.mu.Unlock()
	if err != nil {
		return err
	}
	if linked {
		if err := r.linkDeps(e); err != nil {
			return err
		}
	} else if r.obs != nil {
		r.announceLive(e)
	}
	if e.timed() {
		r.timers.addExpiry(e)
	}
	return nil
}

// announceLive delivers the Registered event of e, held, then makes it
// live (goLive), even if Observe panics: a held entry would wait forever
// for a release by an ID its registrant never got, and hold up Shutdown.
func (r *Registry) announceLive(e *entry) {
	defer r.goLive(e)
	r.emit(Registered, e, 0, nil)
}

// goLive makes e live once its Registered event has been delivered: until
// then it is in the table in state stHeld, where only a release by its ID
// can claim it (the observer's own, see claimByID), so that no event of e
// (Released, Expired, ...) reaches the observer before Registered. A
// Shutdown that began meanwhile passed e by (it claims only live entries)
// but waits for it: e is released as Shutdown would have.
func (r *Registry) goLive(e *entry) {
	if !e.move(e.inc, stHeld, stLive) {
		return // released by ID meanwhile
	}
	if r.phase.Load() != int32(PhaseRunning) && e.claim(rsShutdown, stQueued) {
		r.sched.enqueue(e)
	}
}

// addLocked publishes e in sh (shard idx) and gives it its ID, unless
// Shutdown has begun or the shard is full.
func (r *Registry) addLocked(sh *shard, idx uint64, e *entry) error {
	if r.phase.Load() != int32(PhaseRunning) {
		return errShuttingDown()
	}
	s, gen, err := sh.t.add(e)
	if err != nil {
		return err
	}
	e.id = r.makeID(s, gen, idx)
	e.seq = r.seq.n.Add(1)
	sh.registered++
	return nil
}

// resolveDeps finds the resources e depends on, before e is visible, so
// that e.x.deps never changes once e is in the table.
func (r *Registry) resolveDeps(e *entry) error {
	e.x.deps = make([]*entry, 0, len(e.x.depIDs))
	e.x.depIncs = make([]uint32, 0, len(e.x.depIDs))
	for _, id := range e.x.depIDs {
		p, inc := r.lookup(id)
		if p == nil {
			return fmt.Errorf("resource: DependsOn(%v): %w", id, ErrNotFound)
		}
		e.x.deps = append(e.x.deps, p)
		e.x.depIncs = append(e.x.depIncs, inc)
	}
	return nil
}

// linkDeps announces e, which is in the table in state stNew (nobody can
// claim it), with its Registered event (see announce), makes it a dependent
// of each resource it depends on, then makes it live.
// Every resource that is released from then on sees e among its
// dependents. If one of them was claimed before e could link to it, or
// Shutdown began, registration fails and e is taken out again; a
// dependency that was already waiting for e is woken by that. Only if
// someone claimed e in the instant it was live does registration succeed
// anyway: e is then linked, so its cleanup runs before its dependencies'.
func (r *Registry) linkDeps(e *entry) error {
	announced := r.obs != nil
	if announced && !r.announce(e) {
		return nil // released by ID during its Registered event
	}
	var err error
	for i, p := range e.x.deps {
		if !p.addDependent(e, e.x.depIncs[i]) {
			err = fmt.Errorf("resource: DependsOn(%v): %w", e.x.depIDs[i], ErrReleased)
			break
		}
	}
	e.setState(stLive)
	if err == nil {
		for i, p := range e.x.deps {
			if !p.linkableAs(e.x.depIncs[i]) {
				err = fmt.Errorf("resource: DependsOn(%v): %w", e.x.depIDs[i], ErrReleased)
				break
			}
		}
	}
	if r.phase.Load() != int32(PhaseRunning) {
		// Refused because Shutdown began, even if what e depends on is
		// gone: Shutdown may be what claimed it.
		err = errShuttingDown()
	}
	if err != nil && !r.undoInsert(e, announced) {
		return nil // claimed meanwhile: it is released in order
	}
	return err
}

// announce delivers the Registered event of e, a new resource with
// dependencies, before linking it to them: held meanwhile (stHeld), e can
// be claimed only by a release by its ID (the observer's, see claimByID),
// and it is no dependent yet, so nothing waits for it. Were it linked, an
// observer that releases a resource e depends on would wait for e, whose
// registration waits for the observer: a deadlock. Released by the
// observer, it is gone when e links to it: registration is refused
// (Detached). announce returns e to stNew, or false if e was released by
// its ID meanwhile.
//
// If Observe panics, e goes live unlinked (goLive), so that Shutdown
// releases it: its registrant never got its ID.
func (r *Registry) announce(e *entry) bool {
	e.setState(stHeld)
	done := false
	defer func() {
		if !done {
			r.goLive(e)
		}
	}()
	r.emit(Registered, e, 0, nil)
	done = true
	return e.move(e.inc, stHeld, stNew)
}

// undoInsert takes e out again; false if someone claimed it meanwhile. If
// e was announced (its Registered event sent), a Detached event ends it:
// its cleanup will not run.
func (r *Registry) undoInsert(e *entry, announced bool) bool {
	if !e.claim(rsExplicit, stDetached) {
		return false
	}
	for _, p := range e.x.deps {
		p.removeDependent(e)
	}
	sh := r.shardOf(e.id)
	s, _ := r.slotOf(e.id)
	sh.mu.Lock()
	sh.t.remove(s, e)
	sh.registered--
	if announced {
		sh.delivering.Add(1)
	}
	sh.mu.Unlock()
	if announced {
		defer r.delivered(sh)
		r.emit(Detached, e, 0, nil)
	}
	r.resume(e.markFinished(stDetached)) // a dependency may already wait for e
	return true
}

// Release runs the cleanup of resource id now, on the caller's goroutine,
// after releasing its live dependents (see DependsOn). It returns the
// cleanup's failure as a *CleanupError (joined with any dependent's
// failure); retries wait out their backoff here. If ctx ends during a
// backoff, Release returns the attempt's error joined with ctx's and the
// remaining retries run on the scheduler (the cleanup is not abandoned; a
// final failure is reported through Failures and events). The same holds
// if ctx ends while Release waits for a dependent that another releaser
// owns. But an attempt that fails once ctx has ended is the last one: no
// retry or fallback starts for a caller that gave up (the failure is most
// likely ctx's) unless one was promised (AttemptFrom). If a Shutdown whose
// context ended dropped the dependent's queued cleanup, Release returns an
// error matching ErrShuttingDown and the resource stays unfinished (the
// *ShutdownError names it). If another releaser already won the resource,
// Release returns an error matching ErrReleased at once without waiting
// for it (ErrShuttingDown if that was a Shutdown whose context ended and
// that dropped the resource's queued cleanup); an unknown or finished id gives
// ErrNotFound.
func (r *Registry) Release(ctx context.Context, id ID) error {
	e, inc := r.lookup(id)
	if e == nil {
		return errNotFound(id)
	}
	if !e.claimByID(inc, rsExplicit, stRunning) {
		return errClaimed(e, inc, id)
	}
	return r.releaseClaimed(ctx, e)
}

// ReleaseAsync hands resource id to the scheduler, which runs its cleanup
// in the resource's priority lane (after its dependents). Errors: ErrNotFound,
// ErrReleased. Failures are reported through Failures, Stats and events.
func (r *Registry) ReleaseAsync(id ID) error {
	e, inc := r.lookup(id)
	if e == nil {
		return errNotFound(id)
	}
	return r.releaseAsync(e, inc, id, rsAsync)
}

// releaseAsync queues e if it is still the live incarnation inc of resource
// id (id is passed in: a stale caller must not read a recycled entry).
func (r *Registry) releaseAsync(e *entry, inc uint32, id ID, why reason) error {
	if !e.claimByID(inc, why, stQueued) {
		return errClaimed(e, inc, id)
	}
	r.sched.enqueue(e)
	return nil
}

// Touch marks resource id as used now, restarting its idle timeout (see
// Guard.Touch). It fails with ErrNotFound if id is not in the registry.
func (r *Registry) Touch(id ID) error {
	if !r.withEntry(id, (*entry).touch) {
		return errNotFound(id)
	}
	return nil
}

// SetSize records a new size in bytes for resource id (a mapping that grew,
// a buffer that was resized); Reclaim, the pressure reaction, Info and
// events use the latest one. Errors: ErrNotFound, or a negative size.
func (r *Registry) SetSize(id ID, size int64) error {
	if size < 0 {
		return fmt.Errorf("resource: SetSize(%v, %d): size must be >= 0", id, size)
	}
	if !r.withEntry(id, func(e *entry) { e.size.Store(size) }) {
		return errNotFound(id)
	}
	return nil
}

// Detach stops tracking resource id without running its cleanup (see
// Guard.Detach). Errors: ErrNotFound, ErrReleased.
func (r *Registry) Detach(id ID) error {
	e, inc := r.lookup(id)
	if e == nil {
		return errNotFound(id)
	}
	return r.detach(e, inc, id)
}

// detach removes e, if it is still the live incarnation inc of resource id,
// without running its cleanup.
func (r *Registry) detach(e *entry, inc uint32, id ID) error {
	if !e.claimByID(inc, rsExplicit, stDetached) {
		return errClaimed(e, inc, id)
	}
	r.finish(e, stDetached, outDetached, Detached, 0, nil)
	return nil
}

type outcome uint8

const (
	outSucceeded outcome = iota
	outFellBack
	outFailed
	outDetached
)

// finish removes e from the registry, counts its outcome, stores its final
// state, resumes the entries that waited for it and then sends the event
// ev of its end. Resumed first: an observer may release (and so wait for)
// what waited for e, which a resumption it held back would deadlock; so a
// dependency's cleanup may start, and its event arrive, before e's event.
// It also cancels the leak detector's runtime cleanup of a leak-watched
// entry, whatever ended it (the Guard, the registry by ID, expiry,
// Reclaim, Shutdown).
func (r *Registry) finish(e *entry, st uint32, out outcome, ev EventType, attempt int, err error) {
	if e.leaky {
		e.run.(leakWatched).stopLeakCheck()
	}
	if e.x != nil {
		if e.timed() {
			r.timers.remove(e)
		}
		for _, p := range e.x.deps {
			p.removeDependent(e)
		}
	}
	sh := r.shardOf(e.id)
	s, _ := r.slotOf(e.id)
	sh.mu.Lock()
	sh.t.remove(s, e)
	if r.obs != nil { // no recycling then: the event below is sent
		sh.delivering.Add(1)
	}
	switch out {
	case outSucceeded:
		sh.succeeded++
		if e.recycle && r.recyclableLocked(sh, e) {
			sh.recycleLocked(e)
			sh.mu.Unlock()
			return
		}
	case outFellBack:
		sh.fellBack++
	case outFailed:
		sh.failed++
	case outDetached:
		sh.detached++
	}
	sh.mu.Unlock()
	r.resume(e.markFinished(st))
	if r.obs != nil {
		defer r.delivered(sh)
		r.emit(ev, e, attempt, err)
	}
}

// resume tells the entries that waited for a finished entry that it is
// done; the last one each waited for queues it again.
func (r *Registry) resume(waiters []*entry) {
	for _, p := range waiters {
		if p.pending.Add(-1) == 0 {
			r.sched.enqueue(p)
		}
	}
}

// Info describes resource id if it is in the registry (live or being
// released).
func (r *Registry) Info(id ID) (Info, bool) {
	var in Info
	ok := r.withEntry(id, func(e *entry) { in = r.info(e) })
	return in, ok
}

// All iterates over a snapshot of the resources in the registry (live or
// being released), one shard at a time; it never holds a lock while
// yielding.
func (r *Registry) All() iter.Seq[Info] {
	return func(yield func(Info) bool) {
		if r == nil { // holds nothing
			return
		}
		var buf []Info
		for i := range r.shards {
			buf = r.shards[i].appendInfos(r, buf[:0])
			for _, in := range buf {
				if !yield(in) {
					return
				}
			}
		}
	}
}

// appendInfos appends the Info of every entry of sh, taken under its lock
// (an entry's fields may be rewritten for another resource once it leaves
// the table).
func (sh *shard) appendInfos(r *Registry, dst []Info) []Info {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for i := range sh.t.slots {
		if e := sh.t.slots[i].e; e != nil {
			dst = append(dst, r.info(e))
		}
	}
	return dst
}

func (sh *shard) appendEntries(dst []*entry) []*entry {
	sh.mu.Lock()
	dst = sh.t.appendTo(dst)
	sh.mu.Unlock()
	return dst
}

func (r *Registry) snapshot() []*entry {
	var out []*entry
	for i := range r.shards {
		out = r.shards[i].appendEntries(out)
	}
	return out
}

// Len returns how many resources are in the registry: live ones and those
// whose cleanup has been claimed but has not finished.
func (r *Registry) Len() int {
	if r == nil { // holds nothing
		return 0
	}
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		n += sh.t.n
		sh.mu.Unlock()
	}
	return n
}

func (r *Registry) emit(t EventType, e *entry, attempt int, err error) {
	r.obs.Observe(r.event(t, e, attempt, err))
}

func (r *Registry) event(t EventType, e *entry, attempt int, err error) Event {
	now := time.Now()
	return Event{Type: t, ID: e.id, Kind: e.kind, Priority: e.priority(), Size: e.size.Load(), Time: now,
		Age: now.Sub(r.wall(e.born)), Attempt: attempt, Err: err}
}
