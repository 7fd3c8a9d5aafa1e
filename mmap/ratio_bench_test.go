//go:build linux || darwin

package mmap_test

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/patinox/memory/mmap"
)

// The Ratio benchmarks interleave the contenders batch by batch inside one
// benchmark, in an order that rotates every iteration, so that all see the
// same load on a shared, noisy machine and none always goes first; they
// report the ratios of their times as metrics.

// rotated runs fns starting with fns[i%len(fns)] and adds each one's time
// to total at the same index.
func rotated(i int, total []time.Duration, fns ...func()) {
	for k := range fns {
		j := (i + k) % len(fns)
		t0 := time.Now()
		fns[j]()
		total[j] += time.Since(t0)
	}
}

// BenchmarkScanRatio reports view/memory: the time to sum the warm 256 MiB
// file through View over the time to sum the same bytes in a Go []byte
// (target ≥ 0.9× the ceiling's speed, i.e. ratio ≤ 1.11), and
// readat/memory for os.File.ReadAt in 1 MiB chunks. pages=small and
// pages=huge as in BenchmarkRandom64Ratio.
func BenchmarkScanRatio(b *testing.B) { byPages(b, scanRatio) }

// byPages runs bench on the benchmark file freshly written (pages=small)
// and then read back from disk (pages=huge; see BenchmarkRandom64Ratio).
// huge-MiB reports how much of the mapping had 2 MiB entries in each.
func byPages(b *testing.B, bench func(b *testing.B, path string, huge bool)) {
	path := benchFile(b)
	b.Run("pages=small", func(b *testing.B) {
		// Written again: an earlier pages=huge run left large folios.
		if err := writeRandom(path, benchSize); err != nil {
			b.Fatal(err)
		}
		bench(b, path, false)
	})
	b.Run("pages=huge", func(b *testing.B) {
		ok, err := rereadFromDisk(path)
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			b.Skip("cannot drop the file from the page cache here")
		}
		bench(b, path, true)
	})
}

// openMapped maps path read-only (with Advise(HugePage) if huge), touches
// every page and returns the Map, closed when b ends, and how many MiB of
// file memory the process maps with 2 MiB entries.
func openMapped(b *testing.B, path string, huge bool) (*mmap.Map, float64) {
	m, err := mmap.Open(path, mmap.ReadOnly)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	if huge {
		if err := m.Advise(mmap.HugePage); err != nil {
			b.Skipf("Advise(HugePage): %v", err)
		}
	}
	_ = m.View(func(d []byte) error { sinkU64 += sumWords(d); return nil }) // map every page
	return m, hugeMappedMiB()
}

func scanRatio(b *testing.B, path string, huge bool) {
	m, hugeMiB := openMapped(b, path, huge)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	b.SetBytes(3 * benchSize)
	scanMem := func() { sinkU64 += sumWords(data) }
	scanView := func() { _ = m.View(func(d []byte) error { sinkU64 += sumWords(d); return nil }) }
	scanRead := func() {
		for off := int64(0); off < benchSize; off += int64(len(buf)) {
			n, _ := f.ReadAt(buf, off)
			sinkU64 += sumWords(buf[:n])
		}
	}
	var total [3]time.Duration
	for i := 0; b.Loop(); i++ {
		rotated(i, total[:], scanMem, scanView, scanRead)
	}
	tMem, tView, tRead := total[0], total[1], total[2]
	b.ReportMetric(float64(tView)/float64(tMem), "view/memory")
	b.ReportMetric(float64(tRead)/float64(tMem), "readat/memory")
	b.ReportMetric(hugeMiB, "huge-MiB")
}

// BenchmarkRandom64Ratio reports pread/viewof and pread/readat: how many
// times faster 64-byte reads at random offsets of the warm 256 MiB file are
// through ViewOf and Map.ReadAt than through pread (target ≥ 10 for ViewOf),
// and the same random reads from a Go []byte holding the file (ns/memory),
// the floor set by cache and TLB misses. pages=small reads the file as it
// was written (4 KiB page cache folios, one TLB entry per 4 KiB);
// pages=huge first drops it from the page cache so that mapping it reads it
// back in large folios, and maps it with Advise(HugePage) (2 MiB entries
// where the kernel allows: huge-MiB reports how much).
func BenchmarkRandom64Ratio(b *testing.B) { byPages(b, random64Ratio) }

func random64Ratio(b *testing.B, path string, huge bool) {
	m, hugeMiB := openMapped(b, path, huge)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	// Each contender reads its own fresh random offsets (cold lines: 4 MiB
	// of 256 MiB per batch) in a batch of about 10 ms: 64 Ki reads, pread
	// 8 Ki. With 1 Ki reads each, the pread batch took three quarters of
	// the time, and the others started every batch with their page tables
	// and caches evicted by the other tenants of this VM's shared L3: even
	// the in-memory floor read at 66 ns instead of 29 (a contender that
	// only spun for as long as pread did the same harm). Now each contender
	// is measured in the steady state of a loop of its own reads.
	const batch, preadBatch = 64 << 10, 8 << 10
	var offs [4][]int64
	for k := range offs {
		offs[k] = make([]int64, batch)
	}
	offs[2] = offs[2][:preadBatch]
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 64)
	var total [4]time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for k := range offs {
			for i := range offs[k] {
				offs[k][i] = r.Int64N(benchSize/64) * 64
			}
		}
		rotated(i, total[:], func() {
			for _, off := range offs[0] {
				_ = mmap.ViewOf(m, off, 8, func(xs []uint64) error { sinkU64 += xs[0] + xs[7]; return nil })
			}
		}, func() {
			for _, off := range offs[1] {
				_, _ = m.ReadAt(buf, off)
				sinkU64 += uint64(buf[0])
			}
		}, func() {
			for _, off := range offs[2] {
				_, _ = f.ReadAt(buf, off)
				sinkU64 += uint64(buf[0])
			}
		}, func() {
			for _, off := range offs[3] {
				sinkU64 += uint64(data[off]) + uint64(data[off+63])
			}
		})
	}
	perRead := func(t time.Duration, reads int) float64 { return float64(t.Nanoseconds()) / float64(b.N*reads) }
	view, read, pread, mem := perRead(total[0], batch), perRead(total[1], batch), perRead(total[2], preadBatch), perRead(total[3], batch)
	b.ReportMetric(pread/view, "pread/viewof")
	b.ReportMetric(pread/read, "pread/readat")
	b.ReportMetric(view, "ns/viewof")
	b.ReportMetric(read, "ns/readat")
	b.ReportMetric(pread, "ns/pread")
	b.ReportMetric(mem, "ns/memory")
	b.ReportMetric(hugeMiB, "huge-MiB")
}
