package mmap

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/patinox/memory/resource"
)

// minHeadroom is the least address space a relocating Grow reserves beyond
// what it maps, so that a small file grown a few pages at a time does not
// relocate at every doubling on its way to its first MiB.
const minHeadroom = 1 << 20

// Grow extends a ReadWrite mapping to newLen bytes, extending the file
// (ftruncate) if it is shorter. Readers never block, and the bytes already
// mapped keep their addresses whenever the reserved headroom allows:
//
//   - Growth inside the last mapped page needs no system call besides the
//     ftruncate.
//   - Growth that fits the headroom maps only the new pages of the file,
//     directly after the mapped ones (MAP_FIXED over the PROT_NONE headroom),
//     and publishes the longer range from the same start: the kernel merges
//     them into one mapping, and views and copies that started before keep
//     reading the same addresses. The Map's read-ahead and HugePage advice
//     and its Lock are given to the new pages (the advice best-effort).
//   - Otherwise Grow relocates: it reserves address space for twice the new
//     length (at least 1 MiB more), maps the file at its start, and publishes
//     that; views and copies that started before keep using the replaced
//     range, which stays mapped (and coherent, as both share the file's
//     pages) until Close.
//
// However small the steps, a Map that grows to L bytes therefore relocates
// fewer than log2(L / 1 MiB) + 2 times and keeps one kernel mapping of the
// file per relocation plus the first (vm.max_map_count), not one per Grow.
// The price is address space: up to about 4L + 2 MiB for all its ranges and
// headroom together, which, like every range, stays reserved (PROT_NONE, no
// memory) after Close. The Map's first range has no headroom (a Map that
// never grows costs only its pages), so the first Grow past its last page
// relocates. Grow never shrinks: a newLen below Len is an error, an equal one
// does nothing. Concurrent Grows are serialized.
func (m *Map) Grow(newLen int64) error {
	if m.mode != ReadWrite {
		return fmt.Errorf("mmap: Grow on a %v mapping: %w", m.mode, ErrReadOnly)
	}
	s, ok := m.pins.acquire()
	if !ok {
		return ErrClosed
	}
	defer m.pins.release(s)
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
	if err := m.extendLocked(m.delta() + int(newLen)); err != nil {
		return err
	}
	m.publishLocked(m.mappingOf(m.delta() + int(newLen)))
	if m.reg.r != nil {
		// The registry's Reclaim and pressure reaction weigh the Map by its
		// size; ErrNotFound means Close is already releasing it.
		if err := m.reg.r.SetSize(m.reg.id, newLen); err != nil && !errors.Is(err, resource.ErrNotFound) {
			return fmt.Errorf("mmap: %s: Grow: %w", m.name, err)
		}
	}
	return nil
}

// extendLocked makes the first need bytes of m.space map the file, in place
// or by relocating. It changes nothing published: on error, every address
// the Map exposed is as it was.
func (m *Map) extendLocked(need int) error {
	end := roundPage(need)
	switch {
	case end <= m.mappedLocked(): // inside the last mapped page
		return nil
	case end <= len(m.space):
		return m.mapTailLocked(end)
	}
	return m.relocateLocked(end)
}

// mapTailLocked maps the file's pages from the end of the mapped ones to end (a page multiple
// within m.space) over the headroom, at the matching file offset, so that
// they continue the mapped pages. If that or their advice or lock fails, the
// tail becomes PROT_NONE headroom again; if even that fails, the tail is no
// longer known to be ours, so the headroom is given up (never unmapped: the
// next Grow relocates).
func (m *Map) mapTailLocked(end int) error {
	mapped := m.mappedLocked()
	tail := m.space[mapped:end]
	op, err := "mmap", sysMapAt(m.file, m.fileStart()+int64(mapped), tail, m.mode)
	if err == nil {
		op, err = m.prepareLocked(tail)
	}
	if err != nil {
		if sysReserve(tail) != nil {
			m.space = m.space[:mapped:mapped]
		}
		return &os.PathError{Op: op, Path: m.name, Err: err}
	}
	return nil
}

// relocateLocked reserves a new range with headroom for end bytes (a page
// multiple), maps the file's first end bytes from m.fileStart at its start,
// and makes it m.space; the current mapping moves to m.rs.old. If the
// headroom cannot be reserved (a small address space), it reserves just end
// bytes. On error nothing was published, so the new range is unmapped.
//
// A locked Map's replaced range is unlocked first: the new range locks the
// same file pages, and a replaced range left locked would stay locked past
// Unlock (which only sees the current range) and count a second time
// against RLIMIT_MEMLOCK. If the Grow fails, the range is locked again.
func (m *Map) relocateLocked(end int) error {
	space, err := sysReserveNew(reservation(end))
	if err != nil && reservation(end) > end {
		space, err = sysReserveNew(end)
	}
	if err != nil {
		return &os.PathError{Op: "mmap reserve", Path: m.name, Err: err}
	}
	cur := m.cur.Load()
	unlocked := m.locked && cur.region != nil && sysUnlock(cur.region) == nil
	op, err := "mmap", sysMapAt(m.file, m.fileStart(), space[:end], m.mode)
	if err == nil {
		op, err = m.prepareLocked(space[:end])
	}
	if err != nil {
		_ = sysUnmap(space) // never published: nobody can hold it
		if unlocked {
			_ = sysLock(cur.region) // it was locked a moment ago
		}
		return &os.PathError{Op: op, Path: m.name, Err: err}
	}
	if cur.region != nil {
		m.rs.retire(cur)
	}
	m.space = space
	m.moves++
	return nil
}

// mappedLocked returns how many bytes at the start of m.space map the file:
// the current mapping's region rounded up to pages (the kernel maps whole
// pages). Grow publishes a mapping right after each extension.
func (m *Map) mappedLocked() int { return roundPage(len(m.cur.Load().region)) }

// prepareLocked gives newly mapped pages the Map's advice and lock, so that
// they behave like the rest and the kernel can merge them with the mapped
// pages before them (it merges only mappings with equal flags). The advice
// is a hint and best-effort: an advice that Advise accepted on an empty Map
// may fail here (HugePage without transparent huge pages), and failing Grow
// for it would make the Map ungrowable. Lock is a promise: its failure is
// returned, with the operation's name.
func (m *Map) prepareLocked(pages []byte) (string, error) {
	if m.advice != Normal {
		_ = sysAdvise(pages, m.advice)
	}
	if m.huge {
		_ = sysAdvise(pages, HugePage)
	}
	if m.locked {
		if err := lockPages(pages); err != nil {
			return "mlock", err
		}
	}
	return "", nil
}

// lockPages is sysLock; a test replaces it to make a Grow's mlock fail
// (running as root, RLIMIT_MEMLOCK does not apply).
var lockPages = sysLock

// reservation returns how many bytes of address space to reserve for a
// mapping of n bytes (a page multiple): 2n, and at least n + minHeadroom.
// Doubling makes growth in equal steps relocate O(log n) times: a
// relocation happens only past the last reservation, so each reservation is
// more than twice the one before, the k-th more than 2^(k-1) MiB. And the
// address space of all reservations a Map ever made stays below twice the
// last, so about 4× the final length (plus 2 MiB). A larger factor would
// trade more address space for fewer relocations; address space is cheap
// (PROT_NONE, MAP_NORESERVE: no memory, no swap), but not free (it stays
// reserved after Close), while each relocation costs a kernel mapping until
// Close and a range that starts without page-table entries (readers fault
// every page again). Without room to double (near math.MaxInt) it is n.
func reservation(n int) int {
	extra := max(n, minHeadroom)
	if n > math.MaxInt-extra-os.Getpagesize() {
		return n
	}
	return roundPage(n + extra)
}
