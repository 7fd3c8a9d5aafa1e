package pool

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
	"weak"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/resource"
)

// KeyedOptions configures a Keyed pool. A nil *KeyedOptions means all
// defaults; the per-connection fields mean what they mean in Options and
// apply to every key's sub-pool.
type KeyedOptions[K comparable, T any] struct {
	// MaxPerKey caps the connections of one key. Default max(4, GOMAXPROCS).
	MaxPerKey int
	// MaxTotal caps the connections of all keys together. When it is reached
	// and a key needs a connection, the idle connection of the key used
	// least recently is destroyed (reason Evicted) to make room. Default
	// 8 * MaxPerKey.
	MaxTotal int

	// MaxLifetime, LifetimeJitter and MaxIdleTime: see Options.
	MaxLifetime, LifetimeJitter, MaxIdleTime time.Duration
	// Check, CheckIdleAfter, CheckInterval and CheckTimeout: see Options.
	Check                         func(ctx context.Context, v T) error
	CheckIdleAfter, CheckInterval time.Duration
	CheckTimeout                  time.Duration
	// Reset: see Options.
	Reset func(ctx context.Context, v T) error
	// CreateTimeout, CreateBackoff and MaxCreateBackoff: see Options.
	CreateTimeout                   time.Duration
	CreateBackoff, MaxCreateBackoff time.Duration
	// LeakThreshold: see Options.
	LeakThreshold time.Duration
	// Registry and Priority: see Options; each key's sub-pool is one
	// tracked resource, its connections depend on it. The registry's
	// Observer may call into the Keyed, but must not Acquire (or
	// TryAcquire) the key whose sub-pool's Registered event it is handling,
	// nor Close the Keyed, on its own goroutine or by waiting for another
	// one: the key's acquires and Close wait for that registration to
	// finish.
	Registry *resource.Registry
	Priority resource.Priority
	// Pressure: see Options (each key's idle connections are trimmed).
	Pressure *pressure.Monitor
	// Kind is the registry kind of each key's sub-pool. Default "pool".
	Kind string
	// Observer receives the events of every sub-pool with the key.
	Observer func(key K, e Event)
}

// Keyed is a set of pools, one per key (for example one per backend), under
// a global cap. Waiters of one key are served FIFO. A key's sub-pool is
// removed, with its goroutine and registry entry, once it is empty: no
// connection, no waiter and no failing create (its last connection expired,
// was evicted or destroyed); the key's next Acquire makes a new one. So it
// is when the registry closes a sub-pool (see the package's Registry
// section). It is safe for concurrent use.
//
// A Keyed whose sub-pools have a background goroutine (any of MaxLifetime,
// MaxIdleTime, CheckInterval, LeakThreshold) that its owner drops without
// Close is closed as a dropped Pool is (see Pool), by the first sub-pool
// goroutine to tick after the garbage collector found the Keyed
// unreachable. Without a sub-pool (none yet, or all removed when empty)
// nothing ticks, and the Keyed's own goroutine stays until Close. Close it
// all the same.
type Keyed[K comparable, T any] struct {
	*keyed[K, T] // everything inside refers to this, never to the Keyed
	// Methods that may block keep the Keyed reachable until they return.
	_ noCopy
}

// keyed is the keyed pool itself; see Keyed.
type keyed[K comparable, T any] struct {
	createFor func(context.Context, K) (T, error)
	destroy   func(context.Context, T) error
	o         KeyedOptions[K, T]
	global    *globalCap[T]
	stop      chan struct{}
	done      chan struct{} // closed when Close has finished
	wg        sync.WaitGroup
	owner     weak.Pointer[Keyed[K, T]] // the Keyed handed to the caller
	// testHookEvict, set by tests before the first eviction, runs between
	// the evictor's choice of a victim and its eviction.
	testHookEvict func()

	mu       sync.Mutex // protects following fields
	pools    map[K]*core[T]
	making   map[K]chan struct{}   // keys whose sub-pool is being made; closed when done
	unmade   int                   // acquires of those keys, the makers included (Stats.Waiting)
	closing  map[*core[T]]struct{} // closed from outside, dropped from pools, close in progress (reap.go)
	gone     Stats                 // the counters of removed sub-pools (reap.go)
	reapErrs []error               // errors of closing removed sub-pools, for Close
	closed   bool
}

// KeyedStats is a snapshot of a Keyed pool: totals and each key's Stats.
// PerKey lists the keys that have a sub-pool now; Total's counters include
// those of the sub-pools removed because they were empty, and
// Total.Waiting the acquires of keys whose sub-pool is being made (made by
// a key's first acquire, briefly unless the registry's Observer is slow).
// Stats.Waits and WaitTime count only the waits in a sub-pool.
type KeyedStats[K comparable] struct {
	Total  Stats
	PerKey map[K]Stats
}

// NewKeyed returns a keyed pool that opens connections for a key with
// createFor and closes them with destroy. The caller must Close it.
func NewKeyed[K comparable, T any](createFor func(ctx context.Context, key K) (T, error), destroy func(ctx context.Context, v T) error, opts *KeyedOptions[K, T]) (*Keyed[K, T], error) {
	if createFor == nil || destroy == nil {
		return nil, errors.New("pool: NewKeyed: createFor and destroy must not be nil")
	}
	var o KeyedOptions[K, T]
	if opts != nil {
		o = *opts
	}
	if o.MaxPerKey < 0 {
		return nil, fmt.Errorf("pool: KeyedOptions.MaxPerKey must be > 0, got %d", o.MaxPerKey)
	}
	if o.MaxTotal < 0 {
		return nil, fmt.Errorf("pool: KeyedOptions.MaxTotal must be > 0, got %d", o.MaxTotal)
	}
	per, err := (&Options[T]{MaxSize: o.MaxPerKey}).withDefaults()
	if err != nil {
		return nil, err
	}
	o.MaxPerKey = per.MaxSize
	if o.MaxTotal == 0 {
		o.MaxTotal = 8 * o.MaxPerKey
	}
	h := new(Keyed[K, T])
	k := &keyed[K, T]{
		createFor: createFor, destroy: destroy, o: o, owner: weak.Make(h),
		global: &globalCap[T]{kick: make(chan struct{}, 1), max: o.MaxTotal},
		stop:   make(chan struct{}), done: make(chan struct{}),
		pools: make(map[K]*core[T]), making: make(map[K]chan struct{}),
		closing: make(map[*core[T]]struct{}),
	}
	if _, err := k.options(*new(K)); err != nil {
		return nil, fmt.Errorf("pool: KeyedOptions: %w", err)
	}
	k.wg.Add(1)
	go k.evictor()
	h.keyed = k
	return h, nil
}

func (k *keyed[K, T]) options(key K) (Options[T], error) {
	o := &Options[T]{
		MaxSize: k.o.MaxPerKey, MaxLifetime: k.o.MaxLifetime, LifetimeJitter: k.o.LifetimeJitter,
		MaxIdleTime: k.o.MaxIdleTime, Check: k.o.Check, CheckIdleAfter: k.o.CheckIdleAfter,
		CheckInterval: k.o.CheckInterval, CheckTimeout: k.o.CheckTimeout, Reset: k.o.Reset,
		CreateTimeout: k.o.CreateTimeout, CreateBackoff: k.o.CreateBackoff,
		MaxCreateBackoff: k.o.MaxCreateBackoff, LeakThreshold: k.o.LeakThreshold,
		Registry: k.o.Registry, Priority: k.o.Priority, Kind: k.o.Kind,
		Pressure: k.o.Pressure,
	}
	if f := k.o.Observer; f != nil {
		o.Observer = ObserverFunc(func(e Event) { f(key, e) })
	}
	return o.withDefaults()
}

// Acquire returns a lease on a connection for key, waiting FIFO behind the
// key's other waiters. See Pool.Acquire.
func (k *Keyed[K, T]) Acquire(ctx context.Context, key K) (*Lease[T], error) {
	l, err := k.acquireRetrying(ctx, key, true)
	runtime.KeepAlive(k) // a waiting Acquire keeps k from counting as dropped
	return l, err
}

// TryAcquire is Acquire without waiting. See Pool.TryAcquire. At MaxTotal,
// unless other keys' acquires are waiting for room, it evicts the idle
// connection of the key used least recently as Acquire would, but on its
// own goroutine: it waits for that destroy, then for its own create. With
// no idle connection to evict it returns ErrExhausted.
func (k *Keyed[K, T]) TryAcquire(ctx context.Context, key K) (*Lease[T], error) {
	l, err := k.acquireRetrying(ctx, key, false)
	runtime.KeepAlive(k)
	return l, err
}

// pool returns key's sub-pool, made if there is none. One acquire makes
// it; the others of the key wait for it (until ctx ends).
func (k *keyed[K, T]) pool(ctx context.Context, key K) (*core[T], error) {
	for {
		k.mu.Lock()
		closed, p, making := k.closed, k.pools[key], k.making[key]
		if closed || p != nil || making != nil {
			if !closed && p == nil { // it waits for making
				k.unmade++
			}
			k.mu.Unlock()
			switch {
			case closed:
				return nil, ErrClosed
			case p != nil:
				return p, nil
			}
			if err := k.awaitMade(ctx, making); err != nil {
				return nil, err
			}
			continue
		}
		making = make(chan struct{})
		k.making[key] = making
		k.unmade++
		k.wg.Add(1) // Close waits for the make, and the sub-pool's close
		k.mu.Unlock()
		return k.makePool(key, making)
	}
}

// awaitMade waits until a key's sub-pool being made (making) is made, or
// ctx ends. Its acquire counted in k.unmade meanwhile.
func (k *keyed[K, T]) awaitMade(ctx context.Context, making chan struct{}) error {
	var err error
	select {
	case <-making:
	case <-ctx.Done():
		k.lateCount(tally{cancelled: 1})
		err = ctxErr(ctx)
	}
	k.mu.Lock()
	k.unmade--
	k.mu.Unlock()
	return err
}

// makePool makes key's sub-pool, then closes making.
func (k *keyed[K, T]) makePool(key K, making chan struct{}) (*core[T], error) {
	defer k.wg.Done()
	// Made without k.mu: registering it calls the registry's observer,
	// which may call back into k.
	made := false
	defer func() {
		if !made { // newSubPool panicked (an Observer did): the next acquire makes it
			k.mu.Lock()
			k.unmade--
			delete(k.making, key)
			close(making)
			k.mu.Unlock()
		}
	}()
	p, err := k.newSubPool(key)
	made = true
	k.mu.Lock()
	k.unmade--
	delete(k.making, key)
	close(making)
	closed := k.closed
	// If the registry closed p already, its acquire fails and is retried
	// (acquireRetrying); its onClosed may have run, so it must not join
	// the map.
	if err == nil && !closed && !p.isClosed() {
		k.pools[key] = p
	}
	k.mu.Unlock()
	switch {
	case err != nil:
		return nil, err
	case closed: // Close began meanwhile: p is empty, its Close quick
		if err := p.Close(context.Background()); err != nil && err != ErrClosed {
			return nil, errors.Join(ErrClosed, err)
		}
		return nil, ErrClosed
	}
	return p, nil
}

// newSubPool makes key's sub-pool, not yet in k.pools.
func (k *keyed[K, T]) newSubPool(key K) (*core[T], error) {
	o, err := k.options(key)
	if err != nil {
		return nil, err
	}
	create := func(ctx context.Context) (T, error) { return k.createFor(ctx, key) }
	// Set before the registry knows p (its release closes p, and destroys
	// the connections whose destroys call onEmpty).
	return newPool(create, k.destroy, o, k.global, k.dropped, func(p *core[T]) {
		p.onEmpty = func() { k.reap(key, p) }
		p.onClosed = func() { k.subClosed(key, p) }
		p.lateCount = k.lateCount
	})
}

// evictor makes room under MaxTotal: while a key waits for a slot that no
// eviction in progress will free, it destroys the idle connection of the
// coldest key. It stops at Close.
func (k *keyed[K, T]) evictor() {
	defer k.wg.Done()
	for {
		select {
		case <-k.stop:
			return
		case <-k.global.kick:
		}
		for k.global.needsEviction() {
			if !k.evictColdest() {
				k.global.evictionFailed()
				break
			}
		}
	}
}

// evictColdest destroys, in the background, the oldest idle connection of
// the key used least recently. If that key's idle connections were leased
// meanwhile, it tries the next coldest key, and so on. It reports false if
// no key had an idle connection left, or if no sub-pool needs the room any
// more (its waiters were served by releases meanwhile).
func (k *keyed[K, T]) evictColdest() bool {
	victims := k.coldestFirst(nil)
	if len(victims) > 0 && k.testHookEvict != nil {
		k.testHookEvict()
	}
	if !k.global.stillWanted() {
		return false
	}
	for _, v := range victims {
		if v.evictIdle() {
			return true
		}
	}
	return false
}

// evictFor makes room under MaxTotal for a TryAcquire on sub-pool p:
// unless other keys wait for a slot (they come first), it destroys the
// oldest idle connection of the coldest other key on the calling goroutine
// and keeps its global slot for p. It reports whether it did.
func (k *keyed[K, T]) evictFor(p *core[T]) bool {
	if k.global.stillWanted() {
		return false
	}
	for _, v := range k.coldestFirst(p) {
		if v.evictIdleKeepingSlot() {
			return true
		}
	}
	return false
}

// coldestFirst returns the sub-pools other than except that have idle
// connections, least recently used first.
func (k *keyed[K, T]) coldestFirst(except *core[T]) []*core[T] {
	k.mu.Lock()
	pools := make([]*core[T], 0, len(k.pools))
	for _, p := range k.pools {
		if p != except {
			pools = append(pools, p)
		}
	}
	k.mu.Unlock()
	type victim struct {
		p   *core[T]
		use int64
	}
	vs := make([]victim, 0, len(pools))
	for _, p := range pools {
		if use, idle := p.coldness(); idle {
			vs = append(vs, victim{p, use})
		}
	}
	slices.SortFunc(vs, func(a, b victim) int { return cmp.Compare(a.use, b.use) })
	out := pools[:0]
	for _, v := range vs {
		out = append(out, v.p)
	}
	return out
}

// Stats returns totals and per-key snapshots.
func (k *Keyed[K, T]) Stats() KeyedStats[K] { return k.keyed.Stats() }

// Stats is Keyed.Stats.
func (k *keyed[K, T]) Stats() KeyedStats[K] {
	k.mu.Lock()
	pools := make(map[K]*core[T], len(k.pools))
	for key, p := range k.pools {
		pools[key] = p
	}
	closing := make([]*core[T], 0, len(k.closing))
	for p := range k.closing {
		closing = append(closing, p)
	}
	gone := k.gone
	gone.Waiting += k.unmade // (a removed sub-pool had no waiter)
	k.mu.Unlock()
	s := KeyedStats[K]{PerKey: make(map[K]Stats, len(pools)), Total: gone}
	for key, p := range pools {
		ps := p.Stats()
		s.PerKey[key] = ps
		s.Total.add(ps)
	}
	for _, p := range closing {
		s.Total.add(p.Stats())
	}
	s.Total.MaxSize = k.o.MaxTotal
	return s
}

func (s *Stats) add(o Stats) {
	s.Size += o.Size
	s.Idle += o.Idle
	s.InUse += o.InUse
	s.Creating += o.Creating
	s.Waiting += o.Waiting
	s.Acquires += o.Acquires
	s.Waits += o.Waits
	s.WaitTime += o.WaitTime
	s.CancelledAcquires += o.CancelledAcquires
	s.Created += o.Created
	s.CreateFailures += o.CreateFailures
	s.Leaks += o.Leaks
	s.Destroyed.add(o.Destroyed)
}

// dropped is the sub-pools' owner check (see core.owner): it reports
// whether the Keyed became unreachable, and if so, starts its Close.
func (k *keyed[K, T]) dropped(*core[T]) bool {
	if k.owner.Value() != nil {
		return false
	}
	go k.Close(context.Background())
	return true
}

// Close closes every key's pool (see Pool.Close), concurrently, bounded by
// ctx, and joins their errors. It returns once every sub-pool is closed,
// including those the registry is closing (whose destroy errors go to the
// registry). Closing twice returns ErrClosed, once the Close under way has
// finished or ctx has ended.
func (k *Keyed[K, T]) Close(ctx context.Context) error {
	err := k.keyed.Close(ctx)
	runtime.KeepAlive(k) // else a sweep could find k dropped and close it first
	return err
}

// Close is Keyed.Close (also started by dropped).
func (k *keyed[K, T]) Close(ctx context.Context) error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		select { // as Pool.Close: once the Close under way has finished
		case <-k.done:
		case <-ctx.Done():
		}
		return ErrClosed
	}
	k.closed = true
	defer close(k.done)
	pools := make([]*core[T], 0, len(k.pools)+len(k.closing))
	for _, p := range k.pools {
		pools = append(pools, p)
	}
	for p := range k.closing { // closed through the registry: await them
		pools = append(pools, p)
	}
	k.mu.Unlock()
	close(k.stop)
	errs := make([]error, len(pools))
	var wg sync.WaitGroup
	for i, p := range pools {
		wg.Go(func() {
			// ErrClosed: the registry is closing it (see subClosed); it
			// still holds connections of ours until that ends.
			if errs[i] = p.Close(ctx); errs[i] == ErrClosed {
				errs[i] = p.awaitClosed(ctx)
			}
		})
	}
	wg.Wait()
	k.wg.Wait()
	k.mu.Lock()
	errs = append(errs, k.reapErrs...)
	k.mu.Unlock()
	return errors.Join(errs...)
}
