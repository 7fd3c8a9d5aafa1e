package mmap

import (
	"fmt"
	"os"
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

// Advise applies a to the whole current mapping. Normal, Sequential, Random
// and HugePage also apply, best-effort, to the pages later Grows add (the
// last of Normal, Sequential and Random wins; HugePage stays once given);
// WillNeed and DontNeed act once, on the pages mapped now. Where HugePage is
// unsupported it fails even on an empty Map. Safe for concurrent use; it
// waits for a running Grow.
func (m *Map) Advise(a Advice) error {
	if a < Normal || a > HugePage {
		return fmt.Errorf("mmap: invalid advice %v", a)
	}
	if a == HugePage && errHugePage != nil {
		return errHugePage // even on an empty Map, so that Grow never meets it
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.sys("madvise "+a.String(), func(mp *mapping) error { return sysAdvise(mp.region, a) })
	if err == nil {
		m.recordLocked(a)
	}
	return err
}

// recordLocked remembers the advice that Grow gives to the pages it adds:
// the ones the kernel keeps as flags of the mapping (madvise(2)).
func (m *Map) recordLocked(a Advice) {
	switch a {
	case Normal, Sequential, Random:
		m.advice = a
	case HugePage:
		m.huge = true
	}
}

// Lock locks the mapped pages in memory (mlock(2)), reading them in first.
// The amount a process may lock is limited by RLIMIT_MEMLOCK (often 8 MiB
// for unprivileged processes; see `ulimit -l`); past it Lock fails with
// ENOMEM or EPERM. Pages added by a later Grow are locked too, until Unlock
// (a Grow that cannot lock them fails and adds nothing). On a Private
// Map the kernel copies every page while locking it (mlock breaks
// copy-on-write of private writable mappings): the locked pages are
// anonymous memory the size of the Map, on top of the file's page cache,
// and no longer show changes to the file.
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
	s, ok := m.pins.acquire()
	if !ok {
		return ErrClosed
	}
	defer m.pins.release(s)
	mp := m.cur.Load()
	if mp.region == nil {
		return nil
	}
	if err := call(mp); err != nil {
		return &os.PathError{Op: op, Path: m.name, Err: err}
	}
	return nil
}
