package mmap_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
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

// rereadFromDisk writes path's dirty pages back and drops the file from the
// page cache, so that the next touch reads it back the way a file read from
// disk is cached: in large folios, which Linux can map with 2 MiB page
// table entries (with Advise(HugePage)). It reports false where that is not
// possible (tmpfs keeps its pages).
func rereadFromDisk(path string) (bool, error) {
	if onTmpfs(path) {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return false, err
	}
	return true, unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// hugeMappedMiB returns how much file memory this process maps with 2 MiB
// page table entries (FilePmdMapped in /proc/self/smaps_rollup).
func hugeMappedMiB() float64 {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "FilePmdMapped:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb); err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
