package mmap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/patinox/memory/resource"
)

// registration is a Map's entry in a resource.Registry; the zero value
// means "not tracked".
type registration struct {
	r  *resource.Registry
	id resource.ID

	once sync.Once
	err  error
}

// ID returns the Map's resource ID in Options.Registry, and false when the
// Map is not tracked.
func (m *Map) ID() (resource.ID, bool) { return m.reg.id, m.reg.r != nil }

// register tracks m in o.Registry: its cleanup closes the Map, and a
// Reclaimable Map gives pages back instead.
func (m *Map) register(o Options, length int64) error {
	if o.Registry == nil {
		return nil
	}
	opts := []resource.Option{
		resource.WithKind(o.Kind), resource.WithSize(length), resource.WithPriority(o.Priority),
		resource.WithLabels("path", m.name, "mode", m.mode.String()),
	}
	if o.Reclaimable {
		opts = append(opts, resource.ReclaimWith(m.reclaim))
	}
	id, err := o.Registry.Register(func(ctx context.Context) error { return m.releaseFor(ctx) }, opts...)
	if err != nil {
		return fmt.Errorf("mmap: %s: register: %w", m.name, err)
	}
	m.reg.r, m.reg.id = o.Registry, id
	return nil
}

// closing is the key of a context value that marks the registry release
// Close asks for: its value is the Map being closed.
type closing struct{}

// releaseFor is the registry's cleanup: it releases the Map, waiting for
// running views only until ctx ends (then it fails with ctx's error, new
// views stay refused, and the registry's retry, or Close, finishes the
// job). The release that Close itself asks for waits without a bound, as
// Close does.
func (m *Map) releaseFor(ctx context.Context) error {
	if ctx.Value(closing{}) == m {
		ctx = context.WithoutCancel(ctx)
	}
	return m.release(ctx)
}

// release releases m's registry entry once. If the registry already
// released it (Shutdown, ReleaseMatching) that is not an error: the caller
// then waits for the Map's own release.
func (rg *registration) release(m *Map) error {
	if rg.r == nil {
		return nil
	}
	rg.once.Do(func() {
		err := rg.r.Release(context.WithValue(context.Background(), closing{}, m), rg.id)
		if !errors.Is(err, resource.ErrReleased) && !errors.Is(err, resource.ErrNotFound) {
			rg.err = err
		}
	})
	return rg.err
}

// reclaim is the Registry's ReclaimWith hook: it gives the mapping's pages
// back and reports the bytes that left memory (on Linux measured with
// mincore; on darwin the length). A closed Map frees nothing, and neither
// does a locked one: its pages stay in memory until Unlock (MADV_DONTNEED
// would fail on them). m.mu keeps Lock from coming in between.
func (m *Map) reclaim(context.Context) (int64, error) {
	s, ok := m.pins.acquire()
	if !ok {
		return 0, nil
	}
	defer m.pins.release(s)
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.cur.Load()
	if mp.region == nil || m.locked {
		return 0, nil
	}
	page := int64(os.Getpagesize())
	freed, err := sysReclaim(m.file, m.off-m.off%page, mp.region)
	if err != nil {
		return 0, fmt.Errorf("mmap: %s: reclaim: %w", m.name, err)
	}
	return freed, nil
}
