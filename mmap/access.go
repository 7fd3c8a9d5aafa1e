package mmap

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// ReadAt copies len(p) bytes from the mapping at off into p, with the
// semantics of io.ReaderAt: n < len(p) comes with a non-nil error, io.EOF
// when the read reached the end of the mapping (off >= Len returns 0,
// io.EOF). It never crashes the process: a fault while copying (the file was
// truncated, an I/O error behind the page) is returned as an error wrapping
// ErrTruncated or an *os.PathError, with n = 0. After Close it returns
// ErrClosed. Safe for concurrent use.
func (m *Map) ReadAt(p []byte, off int64) (n int, err error) {
	if off < 0 {
		return 0, fmt.Errorf("mmap: ReadAt: negative offset %d: %w", off, ErrOutOfRange)
	}
	m.warm(off, uintptr(len(p)))
	s, ok := m.pins.acquire()
	if !ok {
		return 0, ErrClosed
	}
	// The fault guard as in View: restored and unpinned inline, recovered
	// and unpinned by abort only if the copy faulted.
	old := debug.SetPanicOnFault(true)
	done := false
	defer func() {
		if !done {
			m.abort(s, old, recover(), &n, &err)
		}
	}()
	n, err = readAt(m.cur.Load().data, p, off)
	done = true
	debug.SetPanicOnFault(old)
	m.pins.release(s)
	return n, err
}

// readAt is ReadAt's copy from the mapped bytes d, without the guard.
func readAt(d, p []byte, off int64) (int, error) {
	if off >= int64(len(d)) {
		return 0, io.EOF
	}
	if n := copy(p, d[off:]); n < len(p) {
		return n, io.EOF
	}
	return len(p), nil
}

// WriteAt copies p into the mapping at off, with the semantics of
// io.WriterAt. It is allowed for ReadWrite and Private mappings (ErrReadOnly
// otherwise). It never writes past Len: the part of p that does not fit is
// dropped and the error wraps ErrOutOfRange (use Grow first). Faults become
// errors as for ReadAt. Safe for concurrent use; concurrent writes to
// overlapping ranges race as they would on a []byte.
func (m *Map) WriteAt(p []byte, off int64) (n int, err error) {
	if m.mode == ReadOnly {
		return 0, fmt.Errorf("mmap: WriteAt on a %v mapping: %w", m.mode, ErrReadOnly)
	}
	if off < 0 {
		return 0, fmt.Errorf("mmap: WriteAt: negative offset %d: %w", off, ErrOutOfRange)
	}
	m.warm(off, uintptr(len(p)))
	s, ok := m.pins.acquire()
	if !ok {
		return 0, ErrClosed
	}
	old := debug.SetPanicOnFault(true) // the guard as in ReadAt
	done := false
	defer func() {
		if !done {
			m.abort(s, old, recover(), &n, &err)
		}
	}()
	d := m.cur.Load().data
	if off > int64(len(d)) {
		err = fmt.Errorf("mmap: WriteAt offset %d past length %d: %w", off, len(d), ErrOutOfRange)
	} else if n = copy(d[off:], p); n < len(p) {
		err = fmt.Errorf("mmap: WriteAt of %d bytes at %d past length %d: %w", len(p), off, len(d), ErrOutOfRange)
	}
	done = true
	debug.SetPanicOnFault(old)
	m.pins.release(s)
	return n, err
}

// View calls fn with the mapped bytes, without copying. The Map is pinned
// while fn runs: Close waits for fn to return. A fault while fn touches the
// bytes (truncated file, I/O error) is returned as an error instead of
// crashing, provided the touch happens on the goroutine that called View.
//
// fn must not keep the slice after it returns: after Close it points to an
// inaccessible reservation and touching it faults (a crash, unless that
// goroutine enabled debug.SetPanicOnFault). fn may write to the slice only
// for ReadWrite and Private mappings; for ReadOnly a write faults and View
// returns the fault as an error. fn must not call Close on the same Map.
func (m *Map) View(fn func(b []byte) error) (err error) {
	s, ok := m.pins.acquire()
	if !ok {
		return ErrClosed
	}
	d := m.cur.Load().data
	// The fault guard (its cost: BenchmarkGuardOverhead). A normal return
	// restores the fault setting and unpins inline, and the deferred call
	// returns at once; only when fn panics or calls runtime.Goexit does it
	// recover and unpin (abort): two calls fewer than a deferred call that
	// recovers every time, which ReadAt and WriteAt used until the ninth
	// session (random 64-byte ReadAt: 191 → 125 ns, BenchmarkRandom64Ratio).
	old := debug.SetPanicOnFault(true)
	done := false
	defer func() {
		if !done {
			m.abort(s, old, recover(), nil, &err)
		}
	}()
	err = fn(d)
	done = true
	debug.SetPanicOnFault(old)
	m.pins.release(s)
	return err
}

// warm starts loading the first and last cache lines of the size bytes at
// off in the current mapping (prefetch) before an access pins m. The pin's
// atomic add waits for every earlier load but not for a prefetch, so on
// random reads the miss overlaps with the pin, the fault guard and the
// deferred recovery instead of following them (BenchmarkRandom64Parts:
// viewof against nopf). off and size are not checked: a prefetch outside the
// mapping does no harm.
func (m *Map) warm(off int64, size uintptr) {
	prefetch(addrOf(m.cur.Load().data)+uintptr(off), size)
}

// abort ends an access that pinned m and switched faults to panics: it
// restores the goroutine's fault setting, turns r, a recovered panic, into
// *err (and *n = 0) if it is a fault in one of m's ranges, lets any other
// panic continue, and unpins s. View and ViewOf call it only when their
// callback did not return (r is nil after runtime.Goexit).
func (m *Map) abort(s *stripe, old bool, r any, n *int, err *error) {
	debug.SetPanicOnFault(old)
	if r != nil {
		m.fault(s, r, n, err)
	}
	m.pins.release(s)
}

// fault handles a recovered panic r: a fault in one of m's ranges becomes
// *err; anything else is re-raised after unpinning s.
func (m *Map) fault(s *stripe, r any, n *int, err *error) {
	re, ok := r.(runtime.Error)
	fa, ok2 := r.(faultAddr)
	if !ok || !ok2 || !m.owns(fa.Addr()) {
		m.pins.release(s)
		panic(r)
	}
	if n != nil {
		*n = 0
	}
	*err = m.faultError(re, fa.Addr())
}

// faultAddr is implemented by the runtime.Error that a memory fault raises
// when debug.SetPanicOnFault is on.
type faultAddr interface{ Addr() uintptr }

// owns reports whether addr lies in a range m mapped.
func (m *Map) owns(addr uintptr) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mp := range append(m.rs.old, m.cur.Load()) {
		if start := addrOf(mp.region); addr >= start && addr-start < uintptr(len(mp.region)) {
			return true
		}
	}
	return false
}

// faultError explains a fault at addr: ErrTruncated when the file is now
// shorter than the mapped range, else an *os.PathError around the runtime
// error (typically an I/O error behind the page).
func (m *Map) faultError(re runtime.Error, addr uintptr) error {
	mp := m.cur.Load()
	fi, err := m.file.Stat()
	if err != nil {
		return &os.PathError{Op: "mmap fault", Path: m.name, Err: errors.Join(re, err)}
	}
	if end := m.off + int64(len(mp.data)); fi.Size() < end {
		return fmt.Errorf("mmap: %s: fault at address %#x: file is %d bytes, mapping ends at %d: %w",
			m.name, addr, fi.Size(), end, ErrTruncated)
	}
	return &os.PathError{Op: "mmap fault", Path: m.name, Err: re}
}
