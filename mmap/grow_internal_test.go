//go:build linux || darwin

package mmap

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// faults reports whether reading b[0] faults.
func faults(b []byte) (faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() { faulted = recover() != nil }()
	sink = b[0]
	return false
}

// escape returns the slice a View gives, kept past the view as a buggy
// caller would.
func escape(t *testing.T, m *Map) []byte {
	t.Helper()
	var b []byte
	if err := m.View(func(d []byte) error { b = d; return nil }); err != nil {
		t.Fatal(err)
	}
	return b
}

// mustGrow grows m and checks whether it relocated.
func mustGrow(t *testing.T, m *Map, newLen int, wantMove bool) {
	t.Helper()
	before := Relocations(m)
	if err := m.Grow(int64(newLen)); err != nil {
		t.Fatalf("Grow(%d): %v", newLen, err)
	}
	if moved := Relocations(m) > before; moved != wantMove {
		t.Fatalf("Grow(%d) relocated = %v, want %v", newLen, moved, wantMove)
	}
}

// span is an address range [start, end).
type span struct{ start, end uintptr }

func spaceOf(m *Map) span {
	m.mu.Lock()
	defer m.mu.Unlock()
	return span{addrOf(m.space), addrOf(m.space) + uintptr(len(m.space))}
}

// vma is one kernel mapping from /proc/self/smaps.
type vma struct {
	span
	perms string
	flags []string // VmFlags
}

// vmas parses /proc/self/smaps; false where there is none (darwin).
func vmas(t *testing.T) ([]vma, bool) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return nil, false
	}
	var out []vma
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if f[0] == "VmFlags:" && len(out) > 0 {
			out[len(out)-1].flags = f[1:]
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok || len(f) < 2 {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, vma{span: span{uintptr(start), uintptr(end)}, perms: f[1]})
	}
	return out, true
}

// covering returns the kernel mappings that cover s, in order, and whether
// they cover all of it without a hole.
func covering(all []vma, s span) ([]vma, bool) {
	var out []vma
	at := s.start
	for _, v := range all {
		if v.end <= at || v.start >= s.end {
			continue
		}
		if v.start > at {
			return out, false
		}
		out = append(out, v)
		at = v.end
	}
	return out, at >= s.end
}

// checkReserved checks (where /proc/self/smaps exists) that every address
// of s is mapped PROT_NONE, not unmapped.
func checkReserved(t *testing.T, what string, s span) {
	t.Helper()
	all, ok := vmas(t)
	if !ok {
		return
	}
	vs, whole := covering(all, s)
	if !whole {
		t.Errorf("%s [%#x, %#x) has a hole after Close; want it all reserved", what, s.start, s.end)
	}
	for _, v := range vs {
		if v.perms != "---p" {
			t.Errorf("%s: [%#x, %#x) is %s after Close, want ---p", what, v.start, v.end, v.perms)
		}
	}
}

// TestCloseReservesGrownRanges: slices escaped from views of a Map that grew
// in place or relocated fault after Close, and every address range the Map
// used (mapped pages and headroom) stays reserved PROT_NONE.
func TestCloseReservesGrownRanges(t *testing.T) {
	page := os.Getpagesize()
	t.Run("grown=in-place", func(t *testing.T) {
		m := openTemp(t, page, 7, ReadWrite)
		mustGrow(t, m, 2*page, true) // the first range has no headroom
		before := escape(t, m)
		for n := 3; n <= 9; n++ {
			mustGrow(t, m, n*page, false)
		}
		after := escape(t, m)
		if &after[0] != &before[0] {
			t.Fatal("growing in place moved the bytes")
		}
		space := spaceOf(m)
		if faults(after[len(after)-1:]) {
			t.Fatal("the last grown byte faults while open")
		}
		mustOK(t, m.Close())
		if !faults(before) || !faults(after[len(after)-1:]) {
			t.Fatal("a slice escaped before Close is still readable; want a fault")
		}
		checkReserved(t, "the grown range", space)
	})
	t.Run("grown=relocated", func(t *testing.T) {
		m := openTemp(t, page, 7, ReadWrite)
		escaped := [][]byte{escape(t, m)}
		spaces := []span{spaceOf(m)}
		mustGrow(t, m, 2*page, true)
		escaped, spaces = append(escaped, escape(t, m)), append(spaces, spaceOf(m))
		mustGrow(t, m, 4<<20, true) // past the 1 MiB headroom
		escaped, spaces = append(escaped, escape(t, m)), append(spaces, spaceOf(m))
		for i, b := range escaped {
			if faults(b[len(b)-1:]) {
				t.Fatalf("slice %d faults while open", i)
			}
		}
		mustOK(t, m.Close())
		for i, b := range escaped {
			if !faults(b) || !faults(b[len(b)-1:]) {
				t.Errorf("slice %d escaped before Close is still readable; want a fault", i)
			}
			checkReserved(t, "range "+strconv.Itoa(i), spaces[i])
		}
	})
}

// TestGrowGivesAdviceAndLock: the pages a Grow adds in place, and the range a
// Grow relocates to, get the Map's read-ahead advice and lock, so the kernel
// merges them with the pages before into one mapping with the same flags
// (Linux, /proc/self/smaps).
func TestGrowGivesAdviceAndLock(t *testing.T) {
	page := os.Getpagesize()
	m := openTemp(t, page, 7, ReadWrite)
	mustGrow(t, m, 2*page, true)
	if _, ok := vmas(t); !ok {
		t.Skip("no /proc/self/smaps")
	}
	mustOK(t, m.Advise(Random))
	if err := m.Lock(); err != nil {
		t.Skipf("Lock: %v", err)
	}
	for n := 3; n <= 16; n++ {
		mustGrow(t, m, n*page, false)
	}
	checkFlags(t, m, "after Advise(Random) and Lock", []string{"rr", "lo"}, []string{"sr"})
	mustOK(t, m.Unlock())
	mustOK(t, m.Advise(Sequential))
	for n := 17; n <= 24; n++ {
		mustGrow(t, m, n*page, false)
	}
	checkFlags(t, m, "after Unlock and Advise(Sequential)", []string{"sr"}, []string{"rr", "lo"})
	mustGrow(t, m, 2<<20, true) // past the headroom: a new range gets the advice too
	mustGrow(t, m, 2<<20+page, false)
	checkFlags(t, m, "after a relocation", []string{"sr"}, []string{"rr", "lo"})
}

// checkFlags checks that one kernel mapping covers m's mapped pages and that
// its VmFlags have every flag of want and none of unwanted.
func checkFlags(t *testing.T, m *Map, when string, want, unwanted []string) {
	t.Helper()
	m.mu.Lock()
	mapped := span{addrOf(m.space), addrOf(m.space) + uintptr(m.mappedLocked())}
	m.mu.Unlock()
	all, _ := vmas(t)
	vs, whole := covering(all, mapped)
	if !whole || len(vs) != 1 {
		t.Fatalf("%s: the %d mapped bytes are in %d kernel mappings (whole: %v), want 1", when, mapped.end-mapped.start, len(vs), whole)
	}
	for _, f := range want {
		if !slices.Contains(vs[0].flags, f) {
			t.Errorf("%s: VmFlags %v lack %q", when, vs[0].flags, f)
		}
	}
	for _, f := range unwanted {
		if slices.Contains(vs[0].flags, f) {
			t.Errorf("%s: VmFlags %v have %q", when, vs[0].flags, f)
		}
	}
}

// TestGrowLockFailureKeepsMap: when the pages a Grow adds in place cannot be
// locked, Grow fails and changes nothing published: the length, the bytes and
// escaped slices stay; the tail is PROT_NONE headroom again (not unmapped);
// the next Grow succeeds in place. (mlock is made to fail through lockPages:
// as root, RLIMIT_MEMLOCK does not apply.)
func TestGrowLockFailureKeepsMap(t *testing.T) {
	page := os.Getpagesize()
	m := openTemp(t, page, 7, ReadWrite)
	mustGrow(t, m, 2*page, true)
	if err := m.Lock(); err != nil {
		t.Skipf("Lock: %v", err)
	}
	if _, err := m.WriteAt([]byte("kept"), int64(page)); err != nil {
		t.Fatal(err)
	}
	escaped := escape(t, m)
	lockPages = func([]byte) error { return syscall.ENOMEM }
	t.Cleanup(func() { lockPages = sysLock })
	err := m.Grow(int64(4 * page))
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Op != "mlock" || !errors.Is(err, syscall.ENOMEM) {
		t.Fatalf("Grow with a failing mlock err = %v, want an mlock *os.PathError wrapping ENOMEM", err)
	}
	if m.Len() != 2*page || Relocations(m) != 1 {
		t.Fatalf("after the failed Grow Len = %d, relocations = %d; want %d, 1", m.Len(), Relocations(m), 2*page)
	}
	m.mu.Lock()
	space := m.space
	m.mu.Unlock()
	if len(space) < 4*page {
		t.Fatalf("the reservation has %d bytes, want headroom for 4 pages", len(space))
	}
	tail := space[2*page : 4*page]
	if !faults(tail) {
		t.Fatal("the tail a failed Grow mapped is still readable; want PROT_NONE headroom")
	}
	if all, ok := vmas(t); ok {
		vs, whole := covering(all, span{addrOf(tail), addrOf(tail) + uintptr(len(tail))})
		if !whole || len(vs) != 1 || vs[0].perms != "---p" {
			t.Fatalf("the tail after a failed Grow is %v (whole: %v), want one ---p reservation", vs, whole)
		}
	}
	if string(escaped[page:page+4]) != "kept" {
		t.Fatalf("escaped slice reads %q, want %q", escaped[page:page+4], "kept")
	}
	lockPages = sysLock
	mustGrow(t, m, 4*page, false)
	if after := escape(t, m); &after[0] != &escaped[0] || string(after[page:page+4]) != "kept" {
		t.Fatal("the Grow after the failed one moved or lost the bytes")
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
