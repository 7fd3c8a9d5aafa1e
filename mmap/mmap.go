package mmap

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// Mode selects how a file is mapped.
type Mode int

const (
	// ReadOnly maps the file shared and read-only. WriteAt, Flush and Grow
	// fail with ErrReadOnly.
	ReadOnly Mode = iota
	// ReadWrite maps the file shared and writable: writes reach the file
	// (durably after Flush) and every other shared mapping of it.
	ReadWrite
	// Private maps the file copy-on-write (MAP_PRIVATE): writes are visible
	// only through this mapping, never in the file or in other mappings.
	Private
)

// String returns the mode's name.
func (md Mode) String() string {
	switch md {
	case ReadOnly:
		return "ReadOnly"
	case ReadWrite:
		return "ReadWrite"
	case Private:
		return "Private"
	}
	return fmt.Sprintf("Mode(%d)", int(md))
}

func (md Mode) openFlag() int {
	if md == ReadWrite {
		return os.O_RDWR
	}
	return os.O_RDONLY
}

var (
	// ErrClosed is returned by every method of a Map after Close.
	ErrClosed = errors.New("mmap: closed")
	// ErrTruncated is returned when an access faulted because the file
	// shrank below the mapped range.
	ErrTruncated = errors.New("mmap: file truncated under the mapping")
	// ErrReadOnly is returned by WriteAt, Flush and Grow on a mapping whose
	// mode does not allow them.
	ErrReadOnly = errors.New("mmap: operation not allowed in this mode")
	// ErrOutOfRange is returned for offsets, lengths and views that do not
	// fit the file or the mapping.
	ErrOutOfRange = errors.New("mmap: out of range")
	// ErrBadType is returned by ViewOf for an element type that may not be
	// viewed in mapped memory.
	ErrBadType = errors.New("mmap: type not allowed in a view")
)

// mapping is one mapped range. It is immutable once published; Grow replaces
// the whole value (with one from the same start address when it grows in
// place).
type mapping struct {
	region []byte // mapped file range from the page boundary below the offset; nil when empty
	data   []byte // the caller's bytes: region[delta : delta+length]
}

// Map is a memory-mapped range of a file.
//
// All methods are safe for concurrent use. Views (View, ViewOf) and copies
// (ReadAt, WriteAt) never block each other or Grow; Close waits for running
// ones. The caller must Close the Map; Close is idempotent. A Map dropped
// without Close is released, with a warning, once the garbage collector
// finds it unreachable (see the package documentation).
type Map struct {
	cur  atomic.Pointer[mapping]
	pins pins
	mode Mode
	off  int64    // file offset of data[0]
	file *os.File // our own duplicate of the caller's descriptor
	name string
	reg  registration
	rs   *ranges         // every range and the file, for release and the leak cleanup (leak.go)
	leak runtime.Cleanup // the leak cleanup; Close stops it

	refuseOnce  sync.Once
	releaseOnce sync.Once
	releaseErr  error

	mu     sync.Mutex // protects following fields (and writes to rs.old, rs.cur)
	space  []byte     // the current range's addresses: mapped pages (mappedLocked), then PROT_NONE headroom (grow.go)
	locked bool       // Lock is in effect (Grow locks the pages it adds too)
	advice Advice     // last read-ahead advice (Normal, Sequential, Random), given to pages Grow adds
	huge   bool       // HugePage advice was given (Grow gives it to the pages it adds)
	moves  int        // Grows that relocated the mapping (tests)
}

// Open maps the whole file at path in the given mode. The file is opened
// read-only for ReadOnly and Private, read-write for ReadWrite. The caller
// must Close the returned Map.
func Open(path string, mode Mode) (*Map, error) {
	if err := validMode(mode); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, mode.openFlag(), 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return OpenFile(f, 0, -1, mode, nil)
}

// OpenFile maps length bytes of f starting at file offset off. A negative
// length maps from off to the current end of the file; a zero length gives a
// valid empty Map. off need not be page-aligned: the mapping starts at the
// page boundary below off and the Map exposes only the requested bytes.
//
// If off+length is past the end of the file, OpenFile fails with
// ErrOutOfRange for ReadOnly and Private; for ReadWrite it extends the file
// (ftruncate), so OpenFile can create a file of a given size.
//
// OpenFile does not take ownership of f: it keeps its own duplicate of the
// descriptor, so the caller may close f at any time. f must have been opened
// for reading (and writing for ReadWrite). opts may be nil.
func OpenFile(f *os.File, off, length int64, mode Mode, opts *Options) (*Map, error) {
	o, err := opts.withDefaults(mode)
	if err != nil {
		return nil, err
	}
	length, err = checkRange(f, off, length, mode)
	if err != nil {
		return nil, err
	}
	dup, err := sysDup(f)
	if err != nil {
		return nil, fmt.Errorf("mmap: %s: %w", f.Name(), err)
	}
	m := &Map{mode: mode, off: off, file: dup, name: f.Name()}
	m.rs = &ranges{file: dup, name: m.name, mode: mode, logger: o.Logger}
	m.pins.init()
	if err := m.mapRange(int(length)); err != nil {
		dup.Close()
		return nil, err
	}
	m.leak = runtime.AddCleanup(m, leaked, m.rs)
	if err := m.register(o, length); err != nil {
		m.release(context.Background())
		return nil, err
	}
	return m, nil
}

func validMode(mode Mode) error {
	if mode < ReadOnly || mode > Private {
		return fmt.Errorf("mmap: invalid mode %v", mode)
	}
	return nil
}

// checkRange validates off and length against f's size and returns the
// resolved length, extending the file for ReadWrite.
func checkRange(f *os.File, off, length int64, mode Mode) (int64, error) {
	if off < 0 {
		return 0, fmt.Errorf("mmap: %s: negative offset %d: %w", f.Name(), off, ErrOutOfRange)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	if length < 0 {
		length = max(size-off, 0)
	}
	// delta+length, rounded up to pages, must fit an int.
	if length > math.MaxInt-2*int64(os.Getpagesize()) || off > math.MaxInt64-length {
		return 0, fmt.Errorf("mmap: %s: length %d too large: %w", f.Name(), length, ErrOutOfRange)
	}
	if off+length <= size || length == 0 {
		return length, nil
	}
	if mode != ReadWrite {
		return 0, fmt.Errorf("mmap: %s: range [%d, %d) is past the end of the file (size %d): %w",
			f.Name(), off, off+length, size, ErrOutOfRange)
	}
	if err := f.Truncate(off + length); err != nil {
		return 0, err
	}
	return length, nil
}

// mapRange maps length bytes of m.file at m.off and publishes them as the
// first mapping of a Map nobody else holds yet. It reserves no headroom: a
// Map that never grows costs exactly its pages; the first Grow past the last
// page relocates into a reservation (grow.go).
func (m *Map) mapRange(length int) error {
	if length == 0 {
		m.publishLocked(&mapping{})
		return nil
	}
	need := m.delta() + length
	end := roundPage(need)
	space, err := sysMap(m.file, m.fileStart(), end, m.mode)
	if err != nil {
		return &os.PathError{Op: "mmap", Path: m.name, Err: err}
	}
	m.space = space
	m.publishLocked(m.mappingOf(need))
	return nil
}

// publishLocked makes mp the Map's current range, for new views and for
// release. The caller holds m.mu, or nobody else has m yet.
func (m *Map) publishLocked(mp *mapping) {
	m.rs.setCur(mp)
	m.cur.Store(mp)
}

// fileStart is the file offset of the page boundary at or below m.off, where
// every range of the Map starts; delta is m.off's distance above it.
func (m *Map) fileStart() int64 { return m.off - int64(m.delta()) }
func (m *Map) delta() int       { return int(m.off % int64(os.Getpagesize())) }

// mappingOf returns the mapping of the first need bytes of m.space (the
// region, from the page boundary below m.off), of which the caller's bytes
// start at delta. Its slices end at need, so a caller cannot reslice into
// the rest of the page or the headroom.
func (m *Map) mappingOf(need int) *mapping {
	region := m.space[:need:need]
	return &mapping{region: region, data: region[m.delta():need:need]}
}

// roundPage rounds n up to a multiple of the page size.
func roundPage(n int) int {
	page := os.Getpagesize()
	return (n + page - 1) / page * page
}

// Len returns the number of bytes mapped. It grows after Grow.
func (m *Map) Len() int { return len(m.cur.Load().data) }

// Mode returns the mode the Map was opened in.
func (m *Map) Mode() Mode { return m.mode }

// Close refuses new views and copies (they fail with ErrClosed), waits for
// running ones, and then replaces every range the Map ever mapped with an
// inaccessible reservation (PROT_NONE, MAP_FIXED, MAP_NORESERVE) instead of
// unmapping it. A slice that escaped a view therefore faults when touched
// after Close instead of reading whatever the address is reused for. The
// cost: the address space (not memory) stays reserved for the life of the
// process, together with the headroom Grow reserved (already inaccessible).
// With a Registry, Close releases the tracked resource exactly once, and
// waits for running views even past the registry's CleanupTimeout.
//
// Close is idempotent and safe for concurrent use; every call returns after
// the ranges are released. Calling Close from inside a view of the same Map
// deadlocks.
func (m *Map) Close() error {
	err := m.reg.release(m)
	if rerr := m.release(context.Background()); err == nil {
		err = rerr
	}
	return err
}

// release does Close's work: it refuses new access (once), waits for the
// running access, and then releases the ranges exactly once; concurrent
// callers wait for that. If ctx ends before the running access is done, it
// returns an error wrapping ctx.Err() and new access stays refused; a later
// call waits again and finishes the job.
func (m *Map) release(ctx context.Context) error {
	m.refuseOnce.Do(m.pins.refuse)
	if err := m.pins.wait(ctx); err != nil {
		return fmt.Errorf("mmap: %s: close: waiting for running views: %w", m.name, err)
	}
	m.releaseOnce.Do(func() {
		m.leak.Stop()
		m.mu.Lock()
		defer m.mu.Unlock()
		m.releaseErr = m.rs.release()
	})
	return m.releaseErr
}
