//go:build linux || darwin

package mmap

import (
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"
)

// lockedRanges returns how many of m's ranges (the replaced ones and the
// current one) have a kernel mapping with the "lo" (mlocked) VmFlag.
func lockedRanges(t *testing.T, m *Map) (old, cur int) {
	t.Helper()
	all, _ := vmas(t)
	isLocked := func(mp *mapping) bool {
		s := span{addrOf(mp.region), addrOf(mp.region) + uintptr(roundPage(len(mp.region)))}
		vs, _ := covering(all, s)
		for _, v := range vs {
			if slices.Contains(v.flags, "lo") {
				return true
			}
		}
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mp := range m.rs.old {
		if isLocked(mp) {
			old++
		}
	}
	if isLocked(m.cur.Load()) {
		cur++
	}
	return old, cur
}

// lockedTemp returns a locked ReadWrite Map of a new n-byte file; it skips
// the test where the kernel's VmFlags cannot be read or mlock is refused.
func lockedTemp(t *testing.T, n int) *Map {
	t.Helper()
	if _, ok := vmas(t); !ok {
		t.Skip("no /proc/self/smaps")
	}
	m := openTemp(t, n, 7, ReadWrite)
	if err := m.Lock(); err != nil {
		t.Skipf("Lock: %v", err)
	}
	return m
}

// TestUnlockAfterRelocatingGrow: a Grow that relocates a locked Map locks
// the new range; the range it replaced must not stay locked with it (the
// same file pages would count twice against RLIMIT_MEMLOCK), and Unlock
// leaves no range of the Map locked.
func TestUnlockAfterRelocatingGrow(t *testing.T) {
	page := os.Getpagesize()
	m := lockedTemp(t, 2*page)
	mustGrow(t, m, 3*page, true) // the first range has no headroom: relocates
	if old, cur := lockedRanges(t, m); old != 0 || cur != 1 {
		t.Errorf("after a relocating Grow of a locked Map: %d replaced and %d current ranges locked, want 0 and 1", old, cur)
	}
	mustOK(t, m.Unlock())
	if old, cur := lockedRanges(t, m); old != 0 || cur != 0 {
		t.Errorf("after Unlock: %d replaced and %d current ranges still locked, want none", old, cur)
	}
}

// TestFailedRelocationKeepsLock: when a relocating Grow of a locked Map
// cannot lock the new range, the Map keeps its length and its current
// range stays locked.
func TestFailedRelocationKeepsLock(t *testing.T) {
	page := os.Getpagesize()
	m := lockedTemp(t, 2*page)
	lockPages = func([]byte) error { return syscall.ENOMEM }
	t.Cleanup(func() { lockPages = sysLock })
	if err := m.Grow(int64(3 * page)); !errors.Is(err, syscall.ENOMEM) {
		t.Fatalf("Grow with a failing mlock err = %v, want ENOMEM", err)
	}
	lockPages = sysLock
	if m.Len() != 2*page || Relocations(m) != 0 {
		t.Fatalf("after the failed Grow Len = %d, relocations = %d; want %d, 0", m.Len(), Relocations(m), 2*page)
	}
	if _, cur := lockedRanges(t, m); cur != 1 {
		t.Error("after a failed relocating Grow the Map's range is no longer locked")
	}
}
