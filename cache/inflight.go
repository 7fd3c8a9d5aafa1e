package cache

import (
	"context"
	"io"
	"sync"
)

// This file settles the fate of a tracked value whose Sets overlap in time.
// One value stored under several keys has one registration, released (and
// the value closed) when the last entry holding it leaves (see tracker).
// Before a Set stores its value, though, the value is held by no entry:
// the registry may release the Set's registration (Reclaim,
// ReleaseMatching, Shutdown) or refuse to make one (it is shutting down),
// and the cache may be closed. Each of these used to close the value at
// once if no entry held it, so two Sets of one value in flight closed it
// twice, or closed it while the other stored it under a live registration.
//
// So the Sets of a comparable tracked value are counted from before their
// registration until they store the value or give it up (a flight); a
// release or refusal that finds Sets of the value in flight does not close
// it but leaves it to them, and the last Set to land closes the value if no
// registration will (none holds it then, and none whose last entry left is
// still to be released; else that registration closes it). The release of a registration
// that holds v does the same if Sets of v are in flight (they may store it
// again), and leaves v open if a Set stored it again under another one
// meanwhile. And a Set that gives v up leaves it open while the release of
// v's registration, whose last entry left (an eviction, Delete, Close), is
// still to run (tracker.closing): that release closes it. A flight lives
// only while Sets of its value are in flight: the table is bounded by the
// Sets running, and holds nothing after they return.
//
// A Set that starts after an earlier one of the same value has landed is
// a new hand-off, as a Set after a Delete is: the value the earlier one
// refused and closed (nothing held it) is closed again. Remembering every
// closed value to skip that would grow without bound, and equal values are
// not always the same resource.

// flights is the tracker's table of flights, keyed by identity: the number
// of Sets of each value between their start and their landing (see above).
type flights struct {
	mu sync.Mutex // protects m; taken after Cache.mu when both are held
	m  map[any]int
}

// holdsResource reports whether v holds a resource (see cleanupOf).
func holdsResource[V any](v V) bool {
	switch x := any(v).(type) {
	case Cleaner:
		return x != nil
	case io.Closer:
		return x != nil
	}
	return false
}

// depart counts a Set of v in flight, before its registration, and returns
// the key of its flight (ok false: v is not tracked, or not comparable, and
// has no flight). Called with no lock held.
func (t *tracker[K, V]) depart(v V) (key any, ok bool) {
	if t.reg == nil || !holdsResource(v) {
		return nil, false
	}
	if key, ok = identity(v); !ok {
		return nil, false
	}
	f := &t.flights
	f.mu.Lock()
	if f.m == nil {
		f.m = make(map[any]int)
	}
	f.m[key]++
	f.mu.Unlock()
	return key, true
}

// inFlightLocked is asked by a release of v that found no entry holding
// it: if Sets of v are in flight it reports true (the last one closes v,
// see landLocked), else false (the caller closes v). Called with Cache.mu
// held.
func (t *tracker[K, V]) inFlightLocked(v V) bool {
	key, ok := identity(v)
	if !ok {
		return false
	}
	f := &t.flights
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[key] > 0
}

// landLocked ends the flight of a Set of v (key, ok from depart) that has
// stored v, or given it up (giveUp: refused by the registry, or the cache
// is closed), and reports whether v is to be closed now: it was the last
// Set of v in flight, and no registration will close v (none holds it,
// and none whose last entry left is still to be released: see
// tracker.closesLater). (A Set that stored v leaves a registration that
// will, so only a release, a refusal or a give-up gets here with true.)
// A value
// given up that has no flight is closed unless an entry holds it. Called
// with Cache.mu held.
func (t *tracker[K, V]) landLocked(key any, ok bool, v V, giveUp bool) (closeValue bool) {
	if !ok {
		return giveUp && !t.tracks(v)
	}
	f := &t.flights
	f.mu.Lock()
	f.m[key]--
	last := f.m[key] == 0
	if last {
		delete(f.m, key)
	}
	f.mu.Unlock()
	return last && !t.closesLater(v)
}

// storingSet is the tracked Set storing its value under Cache.mu (see
// Cache.abandonStoreLocked): its registration, value and flight (key,
// inFlight from depart).
type storingSet[V any] struct {
	rec      *registration
	key      any
	inFlight bool
	v        V
}

// abandonStoreLocked settles the Set whose store a broken Evictor
// interrupted (Cache.policyBug), if one was storing, as the Set would
// have after its store (Cache.insert): a flight left behind would make
// every release of the value leave the close to a Set that never lands,
// and a value stored under a registration the registry released before
// the store would stay cached with nothing left to close it. It returns
// the value and whether the caller is to close it (once no lock is held).
// Called with Cache.mu held.
func (c *Cache[K, V]) abandonStoreLocked() (v V, closeValue bool) {
	st := c.tracker.storing
	if st.rec == nil {
		return v, false
	}
	c.tracker.storing = storingSet[V]{}
	if st.rec.gone && !st.rec.shared {
		// Its removals go unreported, as the failing operation's others.
		c.tracker.closed(st.rec.id) // its cleanup ran (see Cache.insert)
		_ = c.forgetLocked(st.rec.id, nil)
	}
	return st.v, c.tracker.landLocked(st.key, st.inFlight, st.v, false)
}

// track is tracker.track for a Set counted in flight (key, ok from
// depart). If the registry's Observer panics in Register, the Set's flight
// ends as the panic goes on, as if it had stored v: the registration, which
// the registry keeps, closes v when it is released (a flight left behind
// would make that release leave v to a Set that never lands). So that v
// is closed once: if a registration holding v (or whose release is
// pending) closes it, that orphan is a duplicate, whose release must not
// close v again; else it counts among the registrations that close v
// (tracker.closing), and the others leave the close to it.
func (c *Cache[K, V]) track(v V, w int64, key any, ok bool) (*registration, error) {
	if !ok {
		return c.tracker.track(v, w, nil)
	}
	rec := &registration{}
	returned := false
	defer func() {
		if returned {
			return
		}
		c.mu.Lock()
		switch {
		case rec.gone: // released already: the flight settles v
		case c.tracker.closesLater(v):
			rec.shared = true
		default:
			c.tracker.orphanLocked(rec, key)
		}
		closeValue := c.tracker.landLocked(key, ok, v, false)
		c.mu.Unlock()
		if closeValue {
			dispose(v)
		}
	}()
	_, err := c.tracker.track(v, w, rec)
	returned = true
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// orphanLocked counts rec, the registration of a Set of v (key) that
// panicked in Register, among the registrations whose cleanup closes v
// (tracker.closing) until its cleanup runs (unorphanLocked). Called with
// Cache.mu held.
func (t *tracker[K, V]) orphanLocked(rec *registration, key any) {
	if t.closing == nil {
		t.closing, t.closingIDs = make(map[any]int), make(map[releaseID]any)
	}
	t.closing[key]++
	rec.orphan = true
}

// unorphanLocked is called by the cleanup of rec, an orphan of v (see
// orphanLocked). Called with Cache.mu held.
func (t *tracker[K, V]) unorphanLocked(rec *registration, v V) {
	rec.orphan = false
	key, _ := identity(v)
	if t.closing[key]--; t.closing[key] == 0 {
		delete(t.closing, key)
	}
}

// dispose closes v, a value the cache owned and let go of without a
// registration to release it. An error has nowhere to go. Called with no
// lock held.
func dispose[V any](v V) {
	if clean := cleanupOf(v); clean != nil {
		_ = clean(context.Background())
	}
}
