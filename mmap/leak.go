package mmap

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// The leak safety net. A Map dropped without Close would keep its ranges
// mapped (address space and, for ReadWrite, dirty pages) and its descriptor
// open for the life of the process. OpenFile therefore attaches a
// runtime.AddCleanup to the Map whose argument is the Map's ranges, never
// the Map itself (the cleanup must not keep it reachable). If the Map
// becomes unreachable unclosed, the cleanup does what Close does once the
// views are done (ranges.release: every range becomes a PROT_NONE
// reservation, so that a slice that escaped a view still faults instead of
// reading whatever reuses the address, and the descriptor is closed) and
// logs a warning.
//
// No view or copy can be running then: each one that pinned the Map uses
// it again after its callback or copy returns (to unpin it, through
// &m.pins, and in the deferred recovery), so the Map is reachable for as
// long as a pin is held. Close stops the cleanup, and release runs at most
// once whoever calls it. Grow keeps the ranges up to date (publishLocked,
// relocateLocked).

// ranges is what releasing a Map needs, kept apart from the Map for its
// leak cleanup. old and cur are written holding both the Map's mu and this
// mu, so holding either is enough to read them.
type ranges struct {
	file   *os.File // the Map's file (Map.file)
	name   string
	mode   Mode
	logger *slog.Logger // nil: slog.Default()

	mu   sync.Mutex // protects following fields
	old  []*mapping // ranges a relocating Grow replaced, kept mapped until release
	cur  *mapping   // the range the Map published last
	done bool       // released: the ranges are reservations, the file closed
}

// setCur records mp as the current range.
func (rs *ranges) setCur(mp *mapping) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.cur = mp
}

// retire records that a relocating Grow replaced mp.
func (rs *ranges) retire(mp *mapping) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.old = append(rs.old, mp)
}

// release replaces every range with an inaccessible reservation and closes
// the file, once; later calls return nil and do nothing (see released).
// Nothing may use the ranges.
func (rs *ranges) release() error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.releaseLocked()
}

func (rs *ranges) releaseLocked() error {
	if rs.done {
		return nil
	}
	rs.done = true
	var errs []error
	for _, mp := range append(rs.old, rs.cur) {
		if mp != nil && mp.region != nil {
			errs = append(errs, sysReserve(mp.region))
		}
	}
	rs.old = nil
	errs = append(errs, rs.file.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mmap: %s: close: %w", rs.name, err)
	}
	return nil
}

// leaked is the cleanup of a Map that became unreachable without Close.
func leaked(rs *ranges) {
	rs.mu.Lock()
	if rs.done { // closed: no leak (Close stops this cleanup; this is a second guard)
		rs.mu.Unlock()
		return
	}
	n := 0
	if rs.cur != nil {
		n = len(rs.cur.data)
	}
	err := rs.releaseLocked()
	rs.mu.Unlock()
	log := rs.logger
	if log == nil {
		log = slog.Default()
	}
	attrs := []any{"path", rs.name, "mode", rs.mode.String(), "len", n}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	log.Warn("mmap: Map dropped without Close; the leak safety net released it", attrs...)
}
