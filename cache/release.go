package cache

import (
	"context"
	"io"
	"reflect"
	"sync/atomic"

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
// the cache. Its ids table is guarded by Cache.mu.
type tracker[K comparable, V any] struct {
	reg      *resource.Registry // nil: tracking off
	opts     []resource.Option
	dynamic  bool // V is an interface type: check each value
	ids      []releaseID
	onForget func(K, releaseID) // removes an entry the registry released by itself
}

var (
	closerType  = reflect.TypeFor[io.Closer]()
	cleanerType = reflect.TypeFor[Cleaner]()
)

func (t *tracker[K, V]) init(o *Options[K, V], forget func(K, releaseID)) {
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
	t.opts = []resource.Option{resource.WithPriority(o.ReleasePriority), resource.WithKind("cache-value"), resource.Reclaimable()}
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

// track registers v (stored under k) if it holds a resource. Called with no
// lock held (the registry may call observers).
func (t *tracker[K, V]) track(k K, v V, w int64) releaseID {
	if t.reg == nil {
		return noRelease
	}
	clean := cleanupOf(v)
	if clean == nil {
		return noRelease
	}
	var self atomic.Uint64 // the ID, known once Register returns
	forget := t.onForget
	cleanup := func(ctx context.Context) error {
		if id := releaseID(self.Load()); id != noRelease {
			forget(k, id) // released by the registry itself: leave the cache
		}
		return clean(ctx)
	}
	opts := t.opts
	if w > 1 {
		opts = append(opts[:len(opts):len(opts)], resource.WithSize(w))
	}
	id, err := t.reg.Register(cleanup, opts...)
	if err != nil {
		return noRelease // shutting down: the value is cached untracked
	}
	self.Store(uint64(id))
	return id
}

// put records id for slot s (a new entry).
func (t *tracker[K, V]) put(s uint32, id releaseID) {
	if t.reg == nil {
		return
	}
	for len(t.ids) <= int(s) {
		t.ids = append(t.ids, noRelease)
	}
	t.ids[s] = id
}

// get returns the id of slot s.
func (t *tracker[K, V]) get(s uint32) releaseID {
	if int(s) < len(t.ids) {
		return t.ids[s]
	}
	return noRelease
}

// take forgets and returns the id of slot s (the entry left).
func (t *tracker[K, V]) take(s uint32) releaseID {
	id := t.get(s)
	if id != noRelease {
		t.ids[s] = noRelease
	}
	return id
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
func same[V any](a, b V) (eq bool) {
	ta, tb := reflect.TypeOf(any(a)), reflect.TypeOf(any(b))
	if ta == nil || ta != tb || !ta.Comparable() {
		return false
	}
	defer func() {
		if recover() != nil { // an interface field holding an uncomparable value
			eq = false
		}
	}()
	return any(a) == any(b)
}
