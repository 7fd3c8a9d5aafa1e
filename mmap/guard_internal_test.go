//go:build linux || darwin

package mmap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// openTemp maps a new file of size bytes of fill in mode; the test closes it.
func openTemp(tb testing.TB, size int, fill byte, mode Mode) *Map {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "data")
	if err := os.WriteFile(path, bytes.Repeat([]byte{fill}, size), 0o600); err != nil {
		tb.Fatal(err)
	}
	m, err := Open(path, mode)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// BenchmarkClose measures a whole Close of a 1 MiB mapping whose pages were
// touched (how=close), and the system call it uses to retire the range
// (how=reserve: remap PROT_NONE in place) against a plain munmap
// (how=munmap).
func BenchmarkClose(b *testing.B) {
	path := filepath.Join(b.TempDir(), "data")
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o600); err != nil {
		b.Fatal(err)
	}
	open := func() *Map {
		m, err := Open(path, ReadOnly)
		if err != nil {
			b.Fatal(err)
		}
		_ = m.View(func(d []byte) error {
			for i := 0; i < len(d); i += os.Getpagesize() {
				sink += d[i]
			}
			return nil
		})
		return m
	}
	retire := map[string]func(*Map){
		"close":   func(m *Map) { _ = m.Close() },
		"reserve": func(m *Map) { _ = sysReserve(m.cur.Load().region) },
		"munmap":  func(m *Map) { _ = sysUnmap(m.cur.Load().region) },
	}
	for _, how := range []string{"close", "reserve", "munmap"} {
		b.Run("how="+how, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				m := open()
				b.StartTimer()
				retire[how](m)
				b.StopTimer()
				if how == "munmap" {
					m.publishLocked(&mapping{}) // nothing left to reserve
				}
				_ = m.Close()
				b.StartTimer()
			}
		})
	}
}

var sink byte

// BenchmarkGuardOverhead interleaves batches of bare callback calls, of
// calls between a pin and an unpin, and of whole Views (pin, fault guard,
// unpin) and of ViewOf calls for uint64 (a number: no type-cache lookup) and
// [8]uint64 (checked through the sync.Map cache), and reports per call the
// fault guard's cost (View − pinned; target ≤ 15 ns), each call's total
// cost over a bare call, and the cost of ViewOf's prefetch on cached bytes
// (ViewOf − the same code without it, partNoPrefetch).
func BenchmarkGuardOverhead(b *testing.B) {
	m := openTemp(b, os.Getpagesize(), 0, ReadOnly)
	fn := func(d []byte) error { return nil }
	const batch = 1024
	fnOf := func(xs []uint64) error { return nil }
	fnStruct := func(xs [][8]uint64) error { return nil }
	var total [6]time.Duration
	for i := 0; b.Loop(); i++ {
		for k := range 6 { // rotate the order so that none always goes first
			j := (i + k) % 6
			t0 := time.Now()
			switch j {
			case 0:
				for range batch {
					_ = fn(m.cur.Load().data)
				}
			case 1:
				for range batch {
					if s, ok := m.pins.acquire(); ok {
						_ = fn(m.cur.Load().data)
						m.pins.release(s)
					}
				}
			case 2:
				for range batch {
					_ = m.View(fn)
				}
			case 3:
				for range batch {
					_ = ViewOf(m, 64, 8, fnOf)
				}
			case 4:
				for range batch {
					_ = ViewOf(m, 64, 1, fnStruct)
				}
			case 5:
				for range batch {
					_ = partNoPrefetch(m, 64, 8, fnOf)
				}
			}
			total[j] += time.Since(t0)
		}
	}
	tBare, tPinned, tView, tViewOf, tViewStruct, tNoPrefetch := total[0], total[1], total[2], total[3], total[4], total[5]
	n := float64(b.N * batch)
	b.ReportMetric(float64((tView-tPinned).Nanoseconds())/n, "ns/guard")
	b.ReportMetric(float64((tView-tBare).Nanoseconds())/n, "ns/view-overhead")
	b.ReportMetric(float64((tViewOf-tBare).Nanoseconds())/n, "ns/viewof-uint64-overhead")
	b.ReportMetric(float64((tViewStruct-tBare).Nanoseconds())/n, "ns/viewof-array-overhead")
	b.ReportMetric(float64((tViewOf-tNoPrefetch).Nanoseconds())/n, "ns/prefetch")
}
