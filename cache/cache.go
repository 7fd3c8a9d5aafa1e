package cache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/patinox/memory/cache/internal/hashindex"
	"github.com/patinox/memory/cache/internal/tinylfu"
	"github.com/patinox/memory/cache/internal/wheel"
)

// shard is one part of the key→slot index. Readers take only its read lock,
// or none while it is biased (bias.go); writers take it with lockShard.
type shard[K comparable] struct {
	mu        sync.RWMutex // protects index (and the keys and values of its slots)
	index     hashindex.Index
	biased    atomic.Bool   // readers may skip mu (bias.go)
	slowReads atomic.Uint32 // reads under mu, wrapping
	lastWrite uint32        // slowReads when the write lock was last taken
	id        uint32        // 1 + the shard's number: what its readers store in stripe.reading
	// Pad to 128 bytes (a multiple of the cache line; TestShardSize), so
	// that one shard's lock word never shares a line with a neighbour's
	// index: at 88 bytes, readers of different shards slowed each other.
	_ [56]byte
}

// Cache is a bounded, concurrent key-value cache with a pluggable eviction
// policy, expiry, loaders and eviction callbacks. It is safe for concurrent
// use: a Set synchronizes before every Get that returns its value. Create it
// with New; Close it when done. An unclosed cache that its owner drops is
// collected with its values (its timers and pressure subscription hold it
// weakly), unless it holds values tracked in a Registry: their
// registrations keep it reachable until Close, eviction or the registry's
// own shutdown releases them.
type Cache[K comparable, V any] struct {
	shards  []shard[K]
	stripes []stripe
	table   atomic.Pointer[table[K, V]] // slot storage (table.go)
	hash    func(K) uint64
	weigher func(K, V) int64
	onEvict func(K, V, Reason)
	ttl     int64 // default TTL in ns (0: none)
	idle    int64 // ExpireAfterAccess in ns (0: none)
	epoch   time.Time
	// fastReplace: replacing a value cannot change the total weight or a
	// registration (no MaxWeight, no Registry), see replace.
	fastReplace bool
	tracker     tracker[K, V] // resource-aware release (release.go)

	draining atomic.Bool    // a drain goroutine runs (Close holds it true for good)
	drainWG  sync.WaitGroup // the drain goroutine; Close waits

	count0  atomic.Int64 // published count, for Len
	weight0 atomic.Int64 // published total, for Weight
	// coldBelow is half the bound in force while the policy is TinyLFU, 0
	// otherwise: below it Get skips the access buffer (see Get).
	coldBelow atomic.Int64

	mu           sync.Mutex // protects following fields (maintenance lock)
	ev           Evictor
	mover        SlotMover // ev, if it is one; nil otherwise
	live         []uint64  // bitset of slots holding an entry
	slots        uint32    // slots ever allocated
	weights      []int64   // by slot, MaxWeight caches only
	free         []uint32  // slots to reuse
	compactEager bool      // compact whenever a slot is free (tests)
	count        int
	total        int64
	capacity     int64   // the bound in force: base × share
	base         int64   // the configured bound (New, Resize)
	share        float64 // the share of base memory pressure leaves (1: all)
	growTimer    *time.Timer
	byWeight     bool
	skipCold     bool         // the policy is TinyLFU (see coldBelow)
	wheel        *wheel.Wheel // nil until an entry has a deadline
	timer        *time.Timer  // expiry timer, armed only when something is due
	timerAt      int64        // clock ns the timer is armed for; 0: not armed
	expiredBuf   []uint32
	evictions    [numReasons]uint64
	closed       bool
	hitLocked    func(uint32)
	updateLocked func(uint32)
	deadlineOfF  func(uint32) int64

	loads loader[K, V] // GetOrLoad state (load.go)

	unwatch  func()       // ends the pressure subscription (pressure.go)
	pressLvl atomic.Int32 // the latest pressure level delivered

	// self is what the expiry and grow-back timers and the pressure
	// subscription hold: a weak pointer, so that none of them keeps a
	// cache its owner dropped without Close alive.
	self weak.Pointer[Cache[K, V]]

	loadOK, loadErr, loadNanos atomic.Uint64
}

// removal is an entry that left the cache, to report after unlocking.
type removal[K comparable, V any] struct {
	key    K
	value  V
	reason Reason
	id     releaseID // tracked value to release
	detach releaseID // duplicate registration to drop without cleanup
}

// New returns an empty cache configured by o (see Options; a size bound is
// required).
func New[K comparable, V any](o *Options[K, V]) (*Cache[K, V], error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	p := o.Policy
	if p == nil {
		p = TinyLFU()
	}
	ev := p.NewEvictor(o.capacity())
	if ev == nil {
		// The first Set would panic holding the maintenance lock.
		return nil, errors.New("cache: Options.Policy.NewEvictor returned nil")
	}
	c := &Cache[K, V]{
		stripes:  newStripes(),
		hash:     newHasher[K](),
		weigher:  o.Weigher,
		onEvict:  o.OnEvict,
		ttl:      int64(o.TTL),
		idle:     int64(o.ExpireAfterAccess),
		epoch:    time.Now(),
		capacity: o.capacity(),
		byWeight: o.MaxWeight > 0,
		ev:       ev,
	}
	if w, ok := c.ev.(interface{ Weighted() }); ok && c.byWeight {
		w.Weighted() // see Evictor: a weight capacity is not an entry count
	}
	c.shards = make([]shard[K], min(len(c.stripes), 256)) // fp skips 8 bits of shard index
	for i := range c.shards {
		c.shards[i].id = uint32(i) + 1
	}
	c.table.Store(&table[K, V]{})
	c.self = weak.Make(c)
	c.hitLocked = c.hit
	c.updateLocked = c.update
	c.deadlineOfF = c.deadlineOf
	c.loads.init(context.Background())
	c.tracker.init(o, c.forget)
	c.base, c.share = c.capacity, 1
	_, c.skipCold = c.ev.(*tinylfu.Policy)
	c.mover, _ = c.ev.(SlotMover)
	c.setColdLocked()
	c.fastReplace = !c.byWeight && c.tracker.reg == nil
	if o.Pressure != nil {
		c.watchPressure(o.Pressure)
	}
	return c, nil
}

// now returns the cache clock: monotonic ns since New, always ≥ 1.
func (c *Cache[K, V]) now() int64 { return int64(time.Since(c.epoch)) + 1 }

// after returns the clock time d ≥ 0 after now, saturating: a TTL near
// math.MaxInt64 (a common "never") must not wrap into the past.
func after(now, d int64) int64 {
	if d > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + d
}

func (c *Cache[K, V]) shardOf(h uint64) *shard[K] {
	return &c.shards[h&uint64(len(c.shards)-1)]
}

// Get returns the value stored for k and whether there was a live
// (unexpired) entry. It takes no exclusive lock: the hit reaches the policy
// through a lossy buffer.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	st := pick(c.stripes)
	v, slot, ok := c.lookup(k, st, c.idle != 0)
	if !ok {
		st.misses.Add(1)
		return v, false
	}
	if c.weight0.Load() < c.coldBelow.Load() {
		// Less than half full (TinyLFU only): nothing can be evicted before
		// the cache fills, so the hit is counted but not given to the policy,
		// as Caffeine and otter do; reads of a cold cache cost no buffering
		// and no drain.
		st.dropped.Add(1)
		return v, true
	}
	if !st.pushHit(slot) {
		c.scheduleDrain()
	}
	return v, true
}

// setColdLocked sets the occupancy below which Get skips the access
// buffer: half the bound in force, for TinyLFU (other policies order
// entries by every access, and their users may rely on it).
func (c *Cache[K, V]) setColdLocked() {
	if c.skipCold {
		c.coldBelow.Store(c.capacity / 2)
	}
}

// lookup returns k's live value and slot, read with writers to its shard
// excluded (through the bias or the read lock, bias.go), by a reader on
// stripe st; touch extends the deadline (ExpireAfterAccess) of a live entry.
func (c *Cache[K, V]) lookup(k K, st *stripe, touch bool) (v V, slot uint32, ok bool) {
	h := c.hash(k)
	sh := c.shardOf(h)
	fast := sh.tryBiased(st)
	if !fast {
		sh.mu.RLock()
	}
	slot, ok = c.slotOf(sh, h, k)
	if ok {
		ch, i := c.chunkOf(slot), slot&(chunkLen-1)
		if d := ch.deadline(i); d != 0 {
			now := c.now()
			ok = d > now
			// A hit pushes the deadline to now+idle, never earlier: a
			// longer SetTTL deadline stands (the timer wheel holds the
			// entry until its deadline and only ever moves it later).
			if ext := after(now, c.idle); ok && touch && ext > d {
				ch.setDeadlineIfPresent(i, ext)
			}
		}
		if ok {
			v = ch.kv[i].value
		}
	}
	if fast {
		leaveBiased(st)
	} else {
		sh.countSlow(c.biasAfter())
		sh.mu.RUnlock()
	}
	return v, slot, ok
}

// peek is Get without statistics or policy effects.
func (c *Cache[K, V]) peek(k K) (V, bool) {
	v, _, ok := c.lookup(k, pick(c.stripes), false)
	return v, ok
}

// Set stores v for k with the default expiry (Options.TTL or
// ExpireAfterAccess), replacing any previous value (OnEvict gets it with
// Reason Replaced). When Set returns, the cache is within its bound: any
// eviction it required has happened. Set on a closed cache stores nothing
// (with Options.Registry, it releases a value holding a resource: the
// cache owns it), nor does Set of a key that is not equal to itself (a
// floating-point NaN).
func (c *Cache[K, V]) Set(k K, v V) {
	c.set(k, v, c.ttl+c.idle)
}

// SetTTL is Set with a time to live for this entry; ttl ≤ 0 means the entry
// does not expire.
func (c *Cache[K, V]) SetTTL(k K, v V, ttl time.Duration) {
	c.set(k, v, max(int64(ttl), 0))
}

func (c *Cache[K, V]) set(k K, v V, ttl int64) {
	if k != k {
		return // NaN (or a struct holding one): never equal to itself, never found
	}
	h := c.hash(k)
	if c.fastReplace {
		if old, ok := c.replace(k, v, h, ttl); ok {
			if c.onEvict != nil {
				c.onEvict(k, old, Replaced)
			}
			return
		}
	}
	if pending, _ := c.insert(k, v, h, ttl); len(pending) > 0 {
		c.notify(pending)
	}
}

// releases reports whether the removals in pending release the
// registration id (its entry was evicted by the store that made them).
func releases[K comparable, V any](pending []removal[K, V], id releaseID) bool {
	for _, r := range pending {
		if r.id == id {
			return true
		}
	}
	return false
}

// store is Set without the callbacks, for a load's goroutine: it returns
// the removals to report and the value a fast-path replacement replaced,
// if replaced, for announce to report once no lock is held. (Set spells
// the same steps out: one call less on its fast path.)
func (c *Cache[K, V]) store(k K, v V, ttl int64) (pending []removal[K, V], old V, replaced bool, err error) {
	if k != k {
		return nil, old, false, nil
	}
	h := c.hash(k)
	if c.fastReplace {
		if old, ok := c.replace(k, v, h, ttl); ok {
			return nil, old, true, nil
		}
	}
	pending, err = c.insert(k, v, h, ttl)
	return pending, old, false, err
}

// insert stores v for k (hash h) under the maintenance lock, registering
// it first if it holds a resource, and returns the removals to report. An
// error reports that v, which holds a resource, was not stored but
// released: the registry refused it, the cache is closed, or the registry
// released it before it could be stored; or that its own store evicted
// and released it (ErrTooHeavy, ErrRejected).
func (c *Cache[K, V]) insert(k K, v V, h uint64, ttl int64) ([]removal[K, V], error) {
	w := int64(1)
	if c.weigher != nil {
		w = max(c.weigher(k, v), 0)
	}
	key, inFlight := c.tracker.depart(v) // see inflight.go
	rec, err := c.track(v, w, key, inFlight)
	if err != nil {
		c.refuse(v, key, inFlight)
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		if !inFlight { // not comparable: its registration's release closes it
			c.mu.Unlock()
			c.tracker.release(idOf(rec)) // not stored: the cache owned it
			return nil, ErrClosed
		}
		// Not stored: the cache owned it. Given up as if refused, with its
		// registration dropped (shared: a release racing the Detach must
		// not close it too).
		rec.shared = true
		closeValue := c.tracker.landLocked(key, inFlight, v, true)
		c.mu.Unlock()
		defer c.tracker.detach(rec.id) // after the close: Detach may panic (an Observer)
		if closeValue {
			dispose(v)
		}
		return nil, ErrClosed
	}
	if rec != nil { // a broken Evictor may panic out of the store (policyBug)
		c.tracker.storing = storingSet[V]{rec: rec, key: key, inFlight: inFlight, v: v}
	}
	pending := c.setLocked(k, v, h, w, ttl, rec)
	if rec != nil {
		c.tracker.storing = storingSet[V]{}
	}
	if rec != nil && rec.gone && !rec.shared {
		// The registry released v before it was stored (forget found no
		// entry): it leaves again, as if released just after. (Shared: v
		// is stored under its earlier registration, and stays.) Its
		// cleanup has run: if its own store evicted v (take), no later
		// one will close it.
		c.tracker.closed(rec.id)
		pending = c.forgetLocked(rec.id, pending)
		c.publishLocked()
		err = errReleasedBeforeStored
	} else if rec != nil && w > c.capacity {
		// Its own store evicted v (setLocked), releasing its registration
		// unless another entry holds v: v must not be handed out.
		err = fmt.Errorf("%w: weight %d over the bound %d", ErrTooHeavy, w, c.capacity)
	} else if rec != nil && releases(pending, rec.id) {
		// The policy turned v away at once (its Evictor chose the newest
		// entry): the same, for another reason.
		err = ErrRejected
	}
	closeValue := c.tracker.landLocked(key, inFlight, v, false)
	c.mu.Unlock()
	if closeValue {
		dispose(v)
	}
	return pending, err
}

// announce runs the callbacks of a store of k: OnEvict for the value a
// fast-path replacement replaced, then notify. Called with no lock held.
func (c *Cache[K, V]) announce(k K, old V, replaced bool, pending []removal[K, V]) {
	if replaced && c.onEvict != nil {
		c.onEvict(k, old, Replaced)
	}
	if len(pending) > 0 { // notify's deferred recovery costs even when empty
		c.notify(pending)
	}
}

// Delete removes k and reports whether it held a live entry (OnEvict gets it
// with Reason Deleted, or Expired if it had expired).
func (c *Cache[K, V]) Delete(k K) bool {
	h := c.hash(k)
	c.mu.Lock()
	sh := c.shardOf(h)
	sh.mu.RLock()
	slot, ok := c.slotOf(sh, h, k)
	sh.mu.RUnlock()
	if !ok {
		c.mu.Unlock()
		return false
	}
	live := !c.expired(slot, 0)
	pending := c.removeLocked(slot, Deleted, 0, nil)
	c.publishLocked()
	c.mu.Unlock()
	c.notify(pending)
	return live
}

// Len returns the number of entries, including expired ones not yet
// collected. It is safe for concurrent use and does not lock.
func (c *Cache[K, V]) Len() int { return int(c.count0.Load()) }

// Weight returns the total weight of the entries (their number without
// MaxWeight). It is safe for concurrent use and does not lock.
func (c *Cache[K, V]) Weight() int64 { return c.weight0.Load() }

// Clear removes every entry; OnEvict gets each with Reason Deleted (or
// Expired if it had expired) and tracked values are released. A load
// running meanwhile stores its value after Clear (see GetOrLoad).
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	pending := c.clearLocked()
	c.mu.Unlock()
	c.notify(pending)
}

// Close removes every entry as Clear does, stops the expiry timer, cancels
// the context of running loads and waits for them to return and store
// their values. Later Sets do nothing, Gets miss and GetOrLoad returns
// ErrClosed. OnEvict calls already under way on the cache's own goroutines
// (a load's store, the expiry timer) may still be running when Close
// returns: OnEvict may itself call Close. Close is idempotent and always
// returns nil.
func (c *Cache[K, V]) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.growTimer != nil {
		c.growTimer.Stop()
	}
	pending := c.clearLocked()
	c.mu.Unlock()
	if c.unwatch != nil {
		c.unwatch()
	}
	c.stopDrains()
	c.loads.close()
	c.notify(pending)
	return nil
}

// Resize changes the bound: maxEntries for an entry-bounded cache, maxWeight
// for a weight-bounded one (the other must be 0). Entries beyond the new
// bound are evicted (Reason Capacity) before Resize returns.
func (c *Cache[K, V]) Resize(maxEntries int, maxWeight int64) error {
	return c.resize(maxEntries, maxWeight, Capacity)
}

// ResizeForPressure is Resize for an operator's memory-pressure reaction:
// the entries it evicts are reported with Reason Pressure. Like Resize it
// sets the configured bound (see Options.Pressure for the automatic
// reaction); growing back is a later call with the original bound.
func (c *Cache[K, V]) ResizeForPressure(maxEntries int, maxWeight int64) error {
	return c.resize(maxEntries, maxWeight, Pressure)
}

// Limits returns the bound in force: (maxEntries, 0) or (0, maxWeight).
// Under memory pressure (Options.Pressure) it is below the configured one.
func (c *Cache[K, V]) Limits() (maxEntries int, maxWeight int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byWeight {
		return 0, c.capacity
	}
	return int(c.capacity), 0
}

// weakly returns a function that calls fn with c if c is still reachable
// and does nothing once it was collected: what the cache's timers run, so
// that an armed timer does not keep a dropped cache alive (Cache.self).
func (c *Cache[K, V]) weakly(fn func(*Cache[K, V])) func() {
	self := c.self
	return func() {
		if c := self.Value(); c != nil {
			fn(c)
		}
	}
}
