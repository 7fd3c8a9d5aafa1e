package mmap

import (
	"errors"
	"fmt"
	"os"

	"github.com/patinox/memory/resource"
)

// Advice is a hint to the kernel about how the mapping will be used
// (madvise(2)).
type Advice int

const (
	// Normal is the default read-ahead behaviour.
	Normal Advice = iota
	// Sequential expects sequential access: aggressive read-ahead, pages
	// freed soon after use.
	Sequential
	// Random expects random access: no read-ahead.
	Random
	// WillNeed starts reading the range in now.
	WillNeed
	// DontNeed drops the mapped pages; the next access reads them from the
	// file again. For a Private mapping this discards the mapping's own
	// writes.
	DontNeed
	// HugePage asks for transparent huge pages (Linux only; elsewhere the
	// error wraps errors.ErrUnsupported). Most file systems ignore it for
	// file mappings.
	HugePage
)

// String returns the advice's name.
func (a Advice) String() string {
	switch a {
	case Normal:
		return "Normal"
	case Sequential:
		return "Sequential"
	case Random:
		return "Random"
	case WillNeed:
		return "WillNeed"
	case DontNeed:
		return "DontNeed"
	case HugePage:
		return "HugePage"
	}
	return fmt.Sprintf("Advice(%d)", int(a))
}

// Advise applies a to the whole current mapping. Safe for concurrent use.
func (m *Map) Advise(a Advice) error {
	if a < Normal || a > HugePage {
		return fmt.Errorf("mmap: invalid advice %v", a)
	}
	return m.sys("madvise "+a.String(), func(mp *mapping) error { return sysAdvise(mp.region, a) })
}

// Lock locks the mapped pages in memory (mlock(2)), reading them in first.
// The amount a process may lock is limited by RLIMIT_MEMLOCK (often 8 MiB
// for unprivileged processes; see `ulimit -l`); past it Lock fails with
// ENOMEM or EPERM. Ranges added by a later Grow are locked too, until Unlock.
func (m *Map) Lock() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.sys("mlock", func(mp *mapping) error { return sysLock(mp.region) })
	if err == nil {
		m.locked = true
	}
	return err
}

// Unlock undoes Lock (munlock(2)).
func (m *Map) Unlock() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.locked = false
	return m.sys("munlock", func(mp *mapping) error { return sysUnlock(mp.region) })
}

// Flush writes dirty pages of a ReadWrite mapping to the file and waits for
// the writes to complete (msync(2) MS_SYNC). Other modes get ErrReadOnly
// (Private writes never reach the file).
func (m *Map) Flush() error {
	if m.mode != ReadWrite {
		return fmt.Errorf("mmap: Flush on a %v mapping: %w", m.mode, ErrReadOnly)
	}
	return m.sys("msync", func(mp *mapping) error { return sysSync(mp.region) })
}

// sys runs a system call on the pinned current mapping; an empty mapping has
// nothing to do.
func (m *Map) sys(op string, call func(*mapping) error) error {
	if !m.pins.acquire() {
		return ErrClosed
	}
	defer m.pins.release()
	mp := m.cur.Load()
	if mp.region == nil {
		return nil
	}
	if err := call(mp); err != nil {
		return &os.PathError{Op: op, Path: m.name, Err: err}
	}
	return nil
}

// Grow extends a ReadWrite mapping to newLen bytes, extending the file
// (ftruncate) if it is shorter. Readers never block: Grow maps a new, larger
// range and publishes it atomically; views and copies that started before
// keep using the old range, which stays mapped (and coherent, since both
// share the file's pages) until Close. Each Grow therefore costs address
// space and one kernel mapping (vm.max_map_count), not memory: grow in large
// steps. Grow never shrinks: a newLen below Len is an error, an equal one
// does nothing. Concurrent Grows are serialized.
func (m *Map) Grow(newLen int64) error {
	if m.mode != ReadWrite {
		return fmt.Errorf("mmap: Grow on a %v mapping: %w", m.mode, ErrReadOnly)
	}
	if !m.pins.acquire() {
		return ErrClosed
	}
	defer m.pins.release()
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.cur.Load()
	switch {
	case newLen < int64(len(cur.data)):
		return fmt.Errorf("mmap: Grow to %d below length %d: %w", newLen, len(cur.data), ErrOutOfRange)
	case newLen == int64(len(cur.data)):
		return nil
	}
	if _, err := checkRange(m.file, m.off, newLen, m.mode); err != nil {
		return err
	}
	next, err := m.mapRange(int(newLen))
	if err != nil {
		return err
	}
	if m.locked {
		if err := sysLock(next.region); err != nil {
			_ = sysUnmap(next.region) // never published: nobody can hold it
			return &os.PathError{Op: "mlock", Path: m.name, Err: err}
		}
	}
	m.old = append(m.old, cur)
	m.cur.Store(next)
	if m.reg.r != nil {
		// The registry's Reclaim and pressure reaction weigh the Map by its
		// size; ErrNotFound means Close is already releasing it.
		if err := m.reg.r.SetSize(m.reg.id, newLen); err != nil && !errors.Is(err, resource.ErrNotFound) {
			return fmt.Errorf("mmap: %s: Grow: %w", m.name, err)
		}
	}
	return nil
}
