package mmap_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/patinox/memory/mmap"
	"golang.org/x/sys/unix"
)

// onTmpfs reports whether path is on tmpfs, whose pages cannot leave memory
// without swap.
func onTmpfs(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.TMPFS_MAGIC
}

// Closed ranges stay reserved, but adjacent reservations merge into one
// kernel mapping (VMA), so opening and closing many Maps does not run into
// vm.max_map_count.
func TestClosedReservationsMerge(t *testing.T) {
	vmas := func() int {
		b, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			t.Skipf("no /proc/self/maps: %v", err)
		}
		return bytes.Count(b, []byte("\n"))
	}
	path := tempFile(t, pattern(256<<10))
	before := vmas()
	const cycles = 1000
	for range cycles {
		m, err := mmap.Open(path, mmap.ReadOnly)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if grew := vmas() - before; grew > cycles/10 {
		t.Fatalf("%d open/close cycles added %d mappings; want reservations to merge", cycles, grew)
	}
}
