package cache

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"

	"github.com/patinox/memory/cache/internal/trim"
	"github.com/patinox/memory/resource"
)

// Cleaner is implemented by values that hold a resource to release when they
// leave the cache (besides io.Closer). See Options.Registry.
type Cleaner interface {
	Cleanup(ctx context.Context) error
}

// releaseID is the registry ID of a tracked value; noRelease: none.
type releaseID = resource.ID

const noRelease releaseID = 0

// tracker registers values that hold resources (io.Closer or Cleaner) in
// Options.Registry and releases them through its scheduler when they leave
// the cache. One value stored under several keys (the same comparable
// value: typically one pointer) has one registration, released when the
// last of its entries leaves. Its fields after init are guarded by
// Cache.mu.
type tracker[K comparable, V any] struct {
	reg      *resource.Registry // nil: tracking off
	opts     []resource.Option
	sized    bool                        // a Weigher gives values their size (see track)
	dynamic  bool                        // V is an interface type: check each value
	onForget func(*registration, V) bool // see Cache.forget

	ids     []releaseID            // by slot
	holders map[releaseID][]uint32 // the slots holding each registration
	byValue map[any]releaseID      // the registration of each comparable tracked value
	valueOf map[releaseID]any      // the inverse of byValue
	flights flights                // Sets in flight, under their own lock (inflight.go)
	storing storingSet[V]          // the tracked Set storing under Cache.mu, for policyBug (rec nil: none)
	// closing counts, per comparable value, the registrations released
	// by take whose cleanup (Cache.forget) has not run yet, and the
	// orphans (see Cache.track): that cleanup closes the value, so
	// nothing else may (see closesLater); closingIDs names the former by
	// registration.
	closing    map[any]int
	closingIDs map[releaseID]any

	// registered, if set (by tests), is called by track with each new
	// registration before the Set stores the value: where the registry may
	// release it on its own first.
	registered func(releaseID)
}

var (
	closerType  = reflect.TypeFor[io.Closer]()
	cleanerType = reflect.TypeFor[Cleaner]()
)

func (t *tracker[K, V]) init(o *Options[K, V], forget func(*registration, V) bool) {
	if o.Registry == nil {
		return
	}
	vt := reflect.TypeFor[V]()
	implements := vt.Implements(closerType) || vt.Implements(cleanerType)
	if !implements && vt.Kind() != reflect.Interface {
		return // no value of type V can hold a resource
	}
	t.reg = o.Registry
	t.dynamic = !implements
	t.onForget = forget
	t.sized = o.Weigher != nil
	t.opts = []resource.Option{resource.WithPriority(o.ReleasePriority), resource.WithKind("cache-value")}
}

// cleanupOf returns v's cleanup, or nil if v holds no resource.
func cleanupOf[V any](v V) func(context.Context) error {
	switch x := any(v).(type) {
	case Cleaner:
		if x != nil {
			return x.Cleanup
		}
	case io.Closer:
		if x != nil {
			return func(context.Context) error { return x.Close() }
		}
	}
	return nil
}

// registration is one registration of a value, made by track for one Set:
// what its cleanup and the Set share. The registry may release it (Reclaim,
// ReleaseMatching, Shutdown) at any time, even before the Set has stored
// the value; its fields after track returns are guarded by Cache.mu, and
// tell the cleanup (Cache.forget) what became of the value.
type registration struct {
	id     releaseID
	gone   bool // the registry ran the cleanup: the value must not stay cached
	stored bool // adopt stored the value under this registration
	shared bool // the value is held under another registration: this one's cleanup must not close it
	orphan bool // its Set panicked in Register: counted in tracker.closing (see Cache.track)
}

// idOf returns rec's ID, or noRelease for an untracked value (nil).
func idOf(rec *registration) releaseID {
	if rec == nil {
		return noRelease
	}
	return rec.id
}

// track registers v, of weight w, if it holds a resource and returns its
// registration (nil if v is not tracked). An error reports that v holds a
// resource the registry would not register (it is shutting down, or
// full): v must not be stored (see Cache.refuse). Called with no lock held
// (the registry may call observers).
//
// Only a value whose size is known, a Weigher's weight > 0, is registered
// Reclaimable, with that size: Registry.Reclaim releases resources until
// their sizes reach its target, and values of size 0 would all be released
// on the way without counting (one memory-pressure signal would empty the
// cache). The others are released by eviction, ReleaseMatching, Shutdown,
// or the cache's own pressure reaction (Options.Pressure).
//
// rec, if not nil, is the registration to make (Cache.track keeps it
// for a Register that panics).
func (t *tracker[K, V]) track(v V, w int64, rec *registration) (*registration, error) {
	if t.reg == nil {
		return nil, nil
	}
	clean := cleanupOf(v)
	if clean == nil {
		return nil, nil
	}
	// rec is not a named result: captured by cleanup, a named result
	// would move to the heap on every call, tracked or not.
	if rec == nil {
		rec = &registration{}
	}
	forget := t.onForget
	cleanup := func(ctx context.Context) error {
		if !forget(rec, v) { // the value leaves the cache first
			return nil // another registration holds it: that one closes it
		}
		return clean(ctx)
	}
	opts := t.opts
	if t.sized && w > 0 {
		opts = append(opts[:len(opts):len(opts)], resource.Reclaimable(), resource.WithSize(w))
	}
	id, err := t.reg.Register(cleanup, opts...)
	if err != nil { // shutting down (or full): nothing could release v
		return nil, fmt.Errorf("cache: value not stored: %w", err)
	}
	rec.id = id
	if t.registered != nil {
		t.registered(id)
	}
	return rec, nil
}

// adopt records that slot s now holds v, freshly registered as rec (or
// nil). If v is already tracked under another slot, s shares that
// registration and rec's is returned as drop, to detach without running
// its cleanup.
func (t *tracker[K, V]) adopt(s uint32, v V, rec *registration) (drop releaseID) {
	if t.reg == nil || rec == nil {
		return noRelease
	}
	for len(t.ids) <= int(s) {
		t.ids = append(t.ids, noRelease)
	}
	id := rec.id
	key, ok := identity(v)
	if ok {
		if prev, found := t.byValue[key]; found {
			id, drop = prev, id
		} else {
			if t.byValue == nil {
				t.byValue, t.valueOf = make(map[any]releaseID), make(map[releaseID]any)
			}
			t.byValue[key], t.valueOf[id] = id, key
		}
	}
	rec.stored, rec.shared = drop == noRelease, drop != noRelease
	if t.holders == nil {
		t.holders = make(map[releaseID][]uint32)
	}
	t.ids[s] = id
	t.holders[id] = append(t.holders[id], s)
	return drop
}

// tracks reports whether v is held under a registration (comparable
// values only).
func (t *tracker[K, V]) tracks(v V) bool {
	key, ok := identity(v)
	if !ok {
		return false
	}
	_, found := t.byValue[key]
	return found
}

// get returns the id of slot s.
func (t *tracker[K, V]) get(s uint32) releaseID {
	if int(s) < len(t.ids) {
		return t.ids[s]
	}
	return noRelease
}

// take forgets the registration of slot s (its entry left) and returns it
// if s was its last holder (then it is to be released), else noRelease.
func (t *tracker[K, V]) take(s uint32) releaseID {
	id := t.get(s)
	if id == noRelease {
		return noRelease
	}
	t.ids[s] = noRelease
	hs := t.holders[id]
	if i := slices.Index(hs, s); i >= 0 {
		hs = slices.Delete(hs, i, i+1)
	}
	if len(hs) > 0 {
		t.holders[id] = hs
		return noRelease
	}
	if key, ok := t.valueOf[id]; ok { // its cleanup will close the value
		if t.closing == nil {
			t.closing, t.closingIDs = make(map[any]int), make(map[releaseID]any)
		}
		t.closing[key]++
		t.closingIDs[id] = key
	}
	t.drop(id)
	return id
}

// closed records that the cleanup of registration id runs (see take).
func (t *tracker[K, V]) closed(id releaseID) {
	key, ok := t.closingIDs[id]
	if !ok {
		return
	}
	delete(t.closingIDs, id)
	if t.closing[key]--; t.closing[key] == 0 {
		delete(t.closing, key)
	}
}

// closesLater reports whether a registration will close v: an entry
// holds it, or the last one left and its cleanup has not run yet.
func (t *tracker[K, V]) closesLater(v V) bool {
	key, ok := identity(v)
	if !ok {
		return false
	}
	_, found := t.byValue[key]
	return found || t.closing[key] > 0
}

// move records that the entry of slot from, with its registration, now
// lives in slot to (slot compaction).
func (t *tracker[K, V]) move(from, to uint32) {
	id := t.get(from)
	if id == noRelease {
		return
	}
	for len(t.ids) <= int(to) {
		t.ids = append(t.ids, noRelease)
	}
	t.ids[to], t.ids[from] = id, noRelease
	hs := t.holders[id]
	if i := slices.Index(hs, from); i >= 0 {
		hs[i] = to
	}
}

// shrink forgets the slots from n up, none of which holds an entry.
func (t *tracker[K, V]) shrink(n uint32) { t.ids = trim.Slice(t.ids, int(n)) }

// forgetAll forgets registration id, which the registry is releasing on
// its own, and returns the slots that held it (their entries must leave).
func (t *tracker[K, V]) forgetAll(id releaseID) []uint32 {
	hs := t.holders[id]
	for _, s := range hs {
		t.ids[s] = noRelease
	}
	t.drop(id)
	return hs
}

func (t *tracker[K, V]) drop(id releaseID) {
	delete(t.holders, id)
	if key, ok := t.valueOf[id]; ok {
		delete(t.byValue, key)
		delete(t.valueOf, id)
	}
}

// identity returns v as a map key when v is comparable, so that the same
// value stored twice can be recognized.
func identity[V any](v V) (key any, ok bool) {
	key = any(v)
	if t := reflect.TypeOf(key); t == nil || !t.Comparable() {
		return nil, false
	}
	defer func() {
		if recover() != nil { // an interface field holding an uncomparable value
			key, ok = nil, false
		}
	}()
	_ = map[any]struct{}{key: {}} // hashing panics for an uncomparable dynamic value
	return key, true
}

// release hands a removed value to the registry's scheduler. Called with no
// lock held. A value the registry already released (Shutdown, Reclaim) or
// that was never tracked is skipped.
func (t *tracker[K, V]) release(id releaseID) {
	if id != noRelease {
		_ = t.reg.ReleaseAsync(id) // ErrReleased/ErrNotFound: someone else released it
	}
}

// detach stops tracking a duplicate registration without running its cleanup.
func (t *tracker[K, V]) detach(id releaseID) {
	if id != noRelease {
		_ = t.reg.Detach(id)
	}
}

// same reports whether a and b are the same comparable value (then they
// share one registration).
func same[V any](a, b V) bool {
	ka, ok := identity(a)
	if !ok {
		return false
	}
	kb, ok := identity(b)
	return ok && ka == kb
}

// refuse disposes of v, a value holding a resource that the registry
// refused to register (it is shutting down, or full): cached untracked, v would
// never be released, since its user leaves that to the cache. So v is not
// stored, as by a closed cache, and is cleaned up now, on the caller's
// goroutine (an error has nowhere to go), unless an entry still holds it
// under an earlier registration, whose release (by the shutdown) closes
// it, or another Set of v is still in flight (inflight.go), which then
// settles its fate. key and ok are from depart. Called with no lock held.
func (c *Cache[K, V]) refuse(v V, key any, ok bool) {
	c.mu.Lock()
	closeValue := c.tracker.landLocked(key, ok, v, true)
	c.mu.Unlock()
	if closeValue {
		dispose(v)
	}
}

// errReleasedBeforeStored is the error of a load whose value the registry
// released (Shutdown, ReleaseMatching) before it could be stored.
var errReleasedBeforeStored = fmt.Errorf("cache: the registry released the value before it was stored: %w", resource.ErrReleased)
