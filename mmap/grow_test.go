//go:build linux || darwin

package mmap_test

import (
	"bytes"
	"fmt"
	"math/bits"
	"os"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/mmap"
)

// stepBytes returns n bytes that differ from step to step and from offset to
// offset, so that a page that lands at the wrong place is noticed.
func stepBytes(step, n int) []byte {
	b := pattern(n)
	for i := range b {
		b[i] ^= byte(step*31 + 1)
	}
	return b
}

// checkContent compares m's bytes, read through ReadAt and through View, and
// the file's bytes at off (read with os.ReadFile, which shares the page cache
// with the shared mapping) with want.
func checkContent(t *testing.T, m *mmap.Map, path string, off int64, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	if n, err := m.ReadAt(got, 0); n != len(want) || err != nil {
		t.Fatalf("ReadAt = %d, %v; want %d, nil", n, err, len(want))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("ReadAt differs from what was written at byte %d", firstDiff(got, want))
	}
	if got := viewCopy(t, m); !bytes.Equal(got, want) {
		t.Fatalf("View differs from what was written at byte %d (len %d, want %d)", firstDiff(got, want), len(got), len(want))
	}
	disk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(disk)) < off+int64(len(want)) || !bytes.Equal(disk[off:off+int64(len(want))], want) {
		t.Fatalf("the file differs from what was written through the map (file %d bytes)", len(disk))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestGrowInSmallSteps grows a ReadWrite map 200 times by one step, writing
// each new step, and checks that every written byte reads back through the
// map and the file, that the mapping moves only O(log n) times, and (on
// Linux) that the file's kernel mappings stay as few.
func TestGrowInSmallSteps(t *testing.T) {
	const steps = 200
	maxMoves := bits.Len(steps) + 1 // log2(200)+2, rounded down
	for _, tt := range []struct {
		name string
		step int
	}{
		{name: "step=1page", step: page},
		{name: "step=64KiB", step: 64 << 10}, // to 12.5 MiB: past the 1 MiB minimum headroom, so doubling counts
	} {
		t.Run(tt.name, func(t *testing.T) {
			model := stepBytes(0, tt.step)
			path := tempFile(t, model)
			m := mustOpen(t, path, mmap.ReadWrite)
			for i := 1; i <= steps; i++ {
				if err := m.Grow(int64((i + 1) * tt.step)); err != nil {
					t.Fatalf("Grow %d: %v", i, err)
				}
				// The step's first page (the rest stays a hole: zeros).
				b := append(stepBytes(i, page), make([]byte, tt.step-page)...)
				if n, err := m.WriteAt(b[:page], int64(i*tt.step)); n != page || err != nil {
					t.Fatalf("WriteAt after Grow %d = %d, %v", i, n, err)
				}
				model = append(model, b...)
			}
			checkContent(t, m, path, 0, model)
			moves := mmap.Relocations(m)
			if moves > maxMoves {
				t.Errorf("%d Grows relocated %d times, want at most %d", steps, moves, maxMoves)
			}
			vmas, ok := fileVMAs(path)
			t.Logf("%d Grows: %d relocations, %d kernel mappings of the file (known: %v)", steps, moves, vmas, ok)
			if ok && vmas > min(moves, maxMoves)+1 { // the first range, then one per reservation
				t.Errorf("the file has %d kernel mappings after %d Grows with %d relocations, want at most %d",
					vmas, steps, moves, moves+1)
			}
		})
	}
}

// TestGrowUnalignedOffset grows a map whose offset is not a page multiple
// inside its last page (no new mapping), past it (relocation: the first
// range has no headroom), within the headroom (in place) and past the
// headroom (relocation), and checks the bytes at every step against the
// file at the offset, which must not change before it.
func TestGrowUnalignedOffset(t *testing.T) {
	off := int64(page + 100)
	content := pattern(3 * page)
	path := tempFile(t, content)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mmap.OpenFile(f, off, 50, mmap.ReadWrite, nil)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	model := bytes.Clone(content[off : off+50])
	for i, tt := range []struct {
		name   string
		newLen int
		moved  bool
	}{
		{name: "inside-last-page", newLen: page - 100 - 10, moved: false},
		{name: "to-page-end", newLen: page - 100, moved: false},
		{name: "past-first-range", newLen: 2*page + 7, moved: true},
		{name: "in-headroom", newLen: 5*page + 3, moved: false},
		{name: "in-headroom-past-file-end", newLen: 64 * page, moved: false},
		{name: "past-headroom", newLen: 2 << 20, moved: true},
	} {
		before, start := mmap.Relocations(m), viewAddr(t, m)
		if err := m.Grow(int64(tt.newLen)); err != nil {
			t.Fatalf("%s: Grow(%d): %v", tt.name, tt.newLen, err)
		}
		if moved := mmap.Relocations(m) > before; moved != tt.moved {
			t.Errorf("%s: relocated = %v, want %v", tt.name, moved, tt.moved)
		}
		if same := viewAddr(t, m) == start; same == tt.moved {
			t.Errorf("%s: start address unchanged = %v, relocated = %v", tt.name, same, tt.moved)
		}
		grown := stepBytes(i, tt.newLen-len(model))
		if _, err := m.WriteAt(grown, int64(len(model))); err != nil {
			t.Fatalf("%s: WriteAt: %v", tt.name, err)
		}
		model = append(model, grown...)
		checkContent(t, m, path, off, model)
	}
	if disk, _ := os.ReadFile(path); !bytes.Equal(disk[:off], content[:off]) {
		t.Fatal("the bytes before the offset changed")
	}
}

// viewAddr returns the address of m's first byte, as a View sees it.
func viewAddr(t *testing.T, m *mmap.Map) *byte {
	t.Helper()
	var p *byte
	if err := m.View(func(b []byte) error { p = &b[0]; return nil }); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestViewSpansGrows: a view that started before Grows keeps reading the
// right bytes at the same addresses while Grows in place and relocating
// Grows happen, and sees writes made afterwards through the grown map to
// the bytes it covers (both share the file's pages).
func TestViewSpansGrows(t *testing.T) {
	path := tempFile(t, pattern(page))
	synctest.Test(t, func(t *testing.T) {
		m := mustOpen(t, path, mmap.ReadWrite) // closed after stop below: Close waits for the view
		want := pattern(page)
		type round struct{ off, b int } // the view checks want and that byte off is b
		entered, rounds, results := make(chan int), make(chan round), make(chan error)
		viewDone := make(chan error)
		go func() {
			viewDone <- m.View(func(b []byte) error {
				entered <- len(b)
				for r := range rounds {
					switch {
					case !bytes.Equal(b, want):
						results <- fmt.Errorf("round at %d: the view's bytes differ at %d", r.off, firstDiff(b, want))
					case int(b[r.off]) != r.b:
						results <- fmt.Errorf("the view reads %d at %d, want the new write %d", b[r.off], r.off, r.b)
					default:
						results <- nil
					}
				}
				return nil
			})
		}()
		if n := <-entered; n != page {
			t.Fatalf("the view started with %d bytes, want %d", n, page)
		}
		stop := sync.OnceFunc(func() { close(rounds) })
		defer stop()
		start := viewAddr(t, m)
		var inPlace, moved int
		newLen := page
		for i := 1; i <= 40; i++ {
			newLen += page
			if i%10 == 0 {
				newLen = 2*newLen + 2<<20 // past any headroom reserved so far: relocates
			}
			before := mmap.Relocations(m)
			if err := m.Grow(int64(newLen)); err != nil {
				t.Fatalf("Grow(%d): %v", newLen, err)
			}
			if mmap.Relocations(m) == before {
				inPlace++
				if viewAddr(t, m) != start {
					t.Fatalf("Grow %d in place moved the bytes", i)
				}
			} else {
				moved++
				start = viewAddr(t, m)
			}
			off, b := i*37%page, byte(i)
			if _, err := m.WriteAt([]byte{b}, int64(off)); err != nil {
				t.Fatal(err)
			}
			want[off] = b
			if _, err := m.WriteAt(stepBytes(i, page), int64(newLen-page)); err != nil {
				t.Fatal(err)
			}
			rounds <- round{off, int(b)}
			if err := <-results; err != nil {
				t.Fatal(err)
			}
		}
		stop()
		if err := <-viewDone; err != nil {
			t.Fatalf("View: %v", err)
		}
		if inPlace == 0 || moved == 0 {
			t.Fatalf("%d Grows in place and %d relocations; the test needs both", inPlace, moved)
		}
	})
}
