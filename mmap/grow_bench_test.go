//go:build linux || darwin

package mmap_test

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/patinox/memory/mmap"
)

// benchmarkGrowSteps grows a ReadWrite map of a fresh (sparse) file from
// one step to `to` bytes, one step per Grow, the way an append-only store
// grows per batch. With rescan, a View after each Grow reads one byte of
// every page of the map (a reader that scans the store after each batch):
// pages already read fault again only if the Grow relocated the mapping. It
// reports the time per Grow (with rescan: per Grow and scan; opening and
// closing are not timed) and, per grown map, how many Grows moved the
// mapping to a new address (relocations, seen through View) and how many
// kernel mappings of the file the process has at the end (vmas, from
// /proc/self/maps; not reported where there is none).
func benchmarkGrowSteps(b *testing.B, dir string, step, to int64, rescan bool) {
	steps := to/step - 1
	var relocations, vmas int
	vmasKnown := true
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		m := openSized(b, dir, i, step)
		path := sizedPath(dir, i)
		b.StartTimer()
		start := viewStart(b, m)
		for n := int64(2); n*step <= to; n++ {
			if err := m.Grow(n * step); err != nil {
				b.Fatal(err)
			}
			if rescan {
				_ = m.View(func(d []byte) error {
					for i := 0; i < len(d); i += page {
						sink += d[i]
					}
					return nil
				})
			}
			if s := viewStart(b, m); s != start {
				relocations++
				start = s
			}
		}
		b.StopTimer()
		v, ok := fileVMAs(path)
		vmas += v
		vmasKnown = vmasKnown && ok
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*steps), "ns/grow")
	b.ReportMetric(float64(relocations)/float64(b.N), "relocations/op")
	if vmasKnown {
		b.ReportMetric(float64(vmas)/float64(b.N), "vmas/op")
	}
}

// viewStart returns the address of m's first byte, as seen by a View.
func viewStart(b *testing.B, m *mmap.Map) *byte {
	var p *byte
	if err := m.View(func(d []byte) error { p = &d[0]; return nil }); err != nil {
		b.Fatal(err)
	}
	return p
}

// fileVMAs counts the kernel mappings (lines of /proc/self/maps) of the
// file at path; false where /proc/self/maps cannot be read (darwin).
func fileVMAs(path string) (int, bool) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, false
	}
	n := 0
	for line := range bytes.Lines(maps) {
		if bytes.HasSuffix(bytes.TrimRight(line, "\n"), []byte(" "+path)) {
			n++
		}
	}
	return n, true
}

// mib names a size in MiB for a sub-benchmark.
func mib(n int64) string { return strconv.FormatInt(n>>20, 10) + "MiB" }
