//go:build linux || darwin

package mmap_test

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/patinox/memory/mmap"
)

var sinkU64 uint64

// sumWords sums b as little-endian 64-bit words; every scan uses it so that
// only the way the bytes are reached differs. It is never inlined: inlined
// copies of its loop at different code alignments ran up to 20% apart,
// which showed up as a difference between the scans.
//
//go:noinline
func sumWords(b []byte) uint64 {
	var s0, s1 uint64
	for len(b) >= 16 {
		s0 += binary.LittleEndian.Uint64(b)
		s1 += binary.LittleEndian.Uint64(b[8:])
		b = b[16:]
	}
	return s0 + s1
}

// BenchmarkScan compares a sequential scan of a warm 256 MiB file through
// View, through os.File.ReadAt in 1 MiB chunks, and of the same bytes held
// in a Go []byte (the ceiling).
func BenchmarkScan(b *testing.B) {
	path := benchFile(b)
	b.Run("how=memory", func(b *testing.B) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sinkU64 += sumWords(data)
		}
	})
	b.Run("how=view", func(b *testing.B) {
		m, err := mmap.Open(path, mmap.ReadOnly)
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		b.SetBytes(int64(m.Len()))
		for b.Loop() {
			_ = m.View(func(d []byte) error { sinkU64 += sumWords(d); return nil })
		}
	})
	b.Run("how=file-readat-1MiB", func(b *testing.B) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 1<<20)
		b.SetBytes(benchSize)
		for b.Loop() {
			for off := int64(0); off < benchSize; off += int64(len(buf)) {
				n, _ := f.ReadAt(buf, off)
				sinkU64 += sumWords(buf[:n])
			}
		}
	})
}

// BenchmarkRandom64 compares random 64-byte reads from the warm 256 MiB file:
// ViewOf (zero-copy), Map.ReadAt (copying) and pread (os.File.ReadAt).
func BenchmarkRandom64(b *testing.B) {
	path := benchFile(b)
	offs := make([]int64, 1<<16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range offs {
		offs[i] = r.Int64N(benchSize/64) * 64
	}
	m, err := mmap.Open(path, mmap.ReadOnly)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	_ = m.View(func(d []byte) error { sinkU64 += sumWords(d); return nil }) // fault every page in
	b.Run("how=viewof", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = mmap.ViewOf(m, offs[i&(len(offs)-1)], 8, func(xs []uint64) error {
				sinkU64 += xs[0] + xs[7]
				return nil
			})
			i++
		}
	})
	b.Run("how=map-readat", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 64)
		i := 0
		for b.Loop() {
			_, _ = m.ReadAt(buf, offs[i&(len(offs)-1)])
			sinkU64 += uint64(buf[0])
			i++
		}
	})
	// The same reads from all Ps at once, each goroutine from its own place
	// in the list and into its own sum: only the Map is shared (its pins).
	b.Run("how=viewof-parallel", func(b *testing.B) {
		b.ReportAllocs()
		var seed atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i, sum := int(seed.Add(7919)), uint64(0)
			for pb.Next() {
				_ = mmap.ViewOf(m, offs[i&(len(offs)-1)], 8, func(xs []uint64) error {
					sum += xs[0] + xs[7]
					return nil
				})
				i++
			}
			seed.Add(int64(sum)) // keep sum live
		})
	})
	b.Run("how=map-readat-parallel", func(b *testing.B) {
		b.ReportAllocs()
		var seed atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i, sum, buf := int(seed.Add(7919)), uint64(0), make([]byte, 64)
			for pb.Next() {
				_, _ = m.ReadAt(buf, offs[i&(len(offs)-1)])
				sum += uint64(buf[0])
				i++
			}
			seed.Add(int64(sum))
		})
	})
	b.Run("how=pread", func(b *testing.B) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.ReportAllocs()
		buf := make([]byte, 64)
		i := 0
		for b.Loop() {
			_, _ = f.ReadAt(buf, offs[i&(len(offs)-1)])
			sinkU64 += uint64(buf[0])
			i++
		}
	})
}

// BenchmarkView measures a whole empty View call (pin, fault guard, unpin),
// alone and from all Ps at once.
func BenchmarkView(b *testing.B) {
	m := mustOpen(b, tempFile(b, pattern(page)), mmap.ReadOnly)
	b.Run("goroutines=1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.View(func([]byte) error { return nil })
		}
	})
	b.Run("goroutines=GOMAXPROCS", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = m.View(func([]byte) error { return nil })
			}
		})
	})
}

// BenchmarkGrow measures Grow of a ReadWrite mapping from 1 MiB to 2 MiB
// (how=grow), against doing the same with a plain munmap and mmap of the
// larger size through a fresh Open (what a caller without Grow would do,
// blocking readers), and growing a map in 1 MiB steps to 256 MiB
// (how=steps), and to 64 MiB with a scan of the whole map after each Grow
// (how=steps-rescan; both benchmarkGrowSteps).
func BenchmarkGrow(b *testing.B) {
	dir := b.TempDir()
	const step, to = 1 << 20, 256 << 20
	for _, tt := range []struct {
		how    string
		to     int64
		rescan bool
	}{{"steps", to, false}, {"steps-rescan", to / 4, true}} {
		b.Run("how="+tt.how+"/step="+mib(step)+"/to="+mib(tt.to), func(b *testing.B) {
			benchmarkGrowSteps(b, dir, step, tt.to, tt.rescan)
		})
	}
	b.Run("how=grow", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			m := openSized(b, dir, i, 1<<20)
			b.StartTimer()
			if err := m.Grow(2 << 20); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			m.Close()
			b.StartTimer()
		}
	})
	b.Run("how=close-truncate-reopen", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			m := openSized(b, dir, i, 1<<20)
			b.StartTimer()
			m.Close()
			if err := os.Truncate(sizedPath(dir, i), 2<<20); err != nil {
				b.Fatal(err)
			}
			m2, err := mmap.Open(sizedPath(dir, i), mmap.ReadWrite)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			m2.Close()
			b.StartTimer()
		}
	})
}

func sizedPath(dir string, i int) string { return filepath.Join(dir, "grow"+strconv.Itoa(i%8)) }

func openSized(b *testing.B, dir string, i int, size int64) *mmap.Map {
	path := sizedPath(dir, i)
	if err := os.Truncate(path, 0); err != nil && !os.IsNotExist(err) {
		b.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	m, err := mmap.OpenFile(f, 0, size, mmap.ReadWrite, nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}
