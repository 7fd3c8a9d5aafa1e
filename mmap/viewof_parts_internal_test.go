//go:build linux || darwin

package mmap

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"testing"
	"time"
)

// BenchmarkRandom64Parts takes ViewOf apart on cold random 64-byte reads of
// a 256 MiB file (4 KiB page-cache pages, as written; every page mapped
// before timing), to show where BenchmarkRandom64Ratio's time goes. All
// contenders read fresh random offsets every batch, in a rotating order, and
// report ns per read (contenders in batches of about 10 ms, as in
// BenchmarkRandom64Ratio):
//
//   - memory: the same reads from a Go []byte holding the file;
//   - mapped: from the mapped bytes directly (inside one View per batch);
//   - call: through a call doing ViewOf's bounds check, cast and callback,
//     without pin or fault guard;
//   - pin, spof, defer: call plus one part of ViewOf's machinery each: the
//     pin (two atomic adds), the debug.SetPanicOnFault pair, or the deferred
//     closure that would recover a fault;
//   - pin+spof, spof+defer: two parts; nopf: all three, which is ViewOf
//     without its prefetch; viewof: ViewOf itself; pf+call: call after
//     ViewOf's prefetch;
//   - pread: os.File.ReadAt.
//
// The variants are measurement tools only: none of them is safe to use.
func BenchmarkRandom64Parts(b *testing.B) {
	const size = 256 << 20
	path := filepath.Join(b.TempDir(), "data")
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < size; i += 8 {
		data[i] = byte(r.Uint64())
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Skipf("cannot write the benchmark file: %v", err)
	}
	m, err := Open(path, ReadOnly)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	_ = m.View(func(d []byte) error { // map every page
		for i := 0; i < len(d); i += os.Getpagesize() {
			partsSink += uint64(d[i])
		}
		return nil
	})
	read := func(xs []uint64) error { partsSink += xs[0] + xs[7]; return nil }
	via := func(v func(*Map, int64, int, func([]uint64) error) error) func([]int64) {
		return func(offs []int64) {
			for _, off := range offs {
				_ = v(m, off, 8, read)
			}
		}
	}
	buf := make([]byte, 64)
	parts := []struct {
		name string
		run  func(offs []int64)
	}{
		{"memory", func(offs []int64) {
			for _, off := range offs {
				partsSink += uint64(data[off]) + uint64(data[off+63])
			}
		}},
		{"mapped", func(offs []int64) {
			_ = m.View(func(d []byte) error {
				for _, off := range offs {
					partsSink += uint64(d[off]) + uint64(d[off+63])
				}
				return nil
			})
		}},
		{"call", via(partCall[uint64])},
		{"pin", via(partPin[uint64])},
		{"spof", via(partSPOF[uint64])},
		{"defer", via(partDefer[uint64])},
		{"pin+spof", via(partPinSPOF[uint64])},
		{"spof+defer", via(partSPOFDefer[uint64])},
		{"viewof", via(ViewOf[uint64])},
		{"nopf", via(partNoPrefetch[uint64])},
		{"pf+call", via(partPrefetchCall[uint64])},
		{"pread", func(offs []int64) {
			for _, off := range offs {
				_, _ = f.ReadAt(buf, off)
				partsSink += uint64(buf[0])
			}
		}},
	}
	// Batches of about 10 ms, as in BenchmarkRandom64Ratio: 64 Ki reads,
	// pread 8 Ki.
	offs := make([][]int64, len(parts))
	for k := range parts {
		offs[k] = make([]int64, 64<<10)
	}
	offs[len(parts)-1] = offs[len(parts)-1][:8<<10] // pread
	total := make([]time.Duration, len(parts))
	for i := 0; b.Loop(); i++ {
		for k := range offs {
			for j := range offs[k] {
				offs[k][j] = r.Int64N(size/64) * 64
			}
		}
		for k := range parts {
			j := (i + k) % len(parts)
			t0 := time.Now()
			parts[j].run(offs[j])
			total[j] += time.Since(t0)
		}
	}
	for k, p := range parts {
		b.ReportMetric(float64(total[k].Nanoseconds())/float64(b.N*len(offs[k])), "ns/"+p.name)
	}
}

var partsSink uint64

// partCall is ViewOf without pin and fault guard.
//
//go:noinline
func partCall[T any](m *Map, off int64, n int, fn func(xs []T) error) error {
	size, align := sizeAlign[T]()
	d := m.cur.Load().data
	if !fits(d, off, n, size, align) {
		return ErrOutOfRange
	}
	return fn(castSlice[T](d[off:], n))
}

//go:noinline
func partPin[T any](m *Map, off int64, n int, fn func(xs []T) error) error {
	s, ok := m.pins.acquire()
	if !ok {
		return ErrClosed
	}
	err := partCall(m, off, n, fn)
	m.pins.release(s)
	return err
}

//go:noinline
func partSPOF[T any](m *Map, off int64, n int, fn func(xs []T) error) error {
	old := debug.SetPanicOnFault(true)
	err := partCall(m, off, n, fn)
	debug.SetPanicOnFault(old)
	return err
}

//go:noinline
func partDefer[T any](m *Map, off int64, n int, fn func(xs []T) error) (err error) {
	done := false
	defer func() {
		if !done {
			if r := recover(); r != nil {
				err = ErrTruncated
			}
		}
	}()
	err = partCall(m, off, n, fn)
	done = true
	return err
}

//go:noinline
func partPinSPOF[T any](m *Map, off int64, n int, fn func(xs []T) error) error {
	s, ok := m.pins.acquire()
	if !ok {
		return ErrClosed
	}
	old := debug.SetPanicOnFault(true)
	err := partCall(m, off, n, fn)
	debug.SetPanicOnFault(old)
	m.pins.release(s)
	return err
}

//go:noinline
func partSPOFDefer[T any](m *Map, off int64, n int, fn func(xs []T) error) (err error) {
	old := debug.SetPanicOnFault(true)
	done := false
	defer func() {
		if !done {
			debug.SetPanicOnFault(old)
			if r := recover(); r != nil {
				err = ErrTruncated
			}
		}
	}()
	err = partCall(m, off, n, fn)
	done = true
	debug.SetPanicOnFault(old)
	return err
}

// partNoPrefetch is ViewOf line for line without its prefetch (m.warm), for
// Random64Parts' nopf and GuardOverhead's ns/prefetch. It is a copy on
// purpose: ViewOf cannot share its body with it, because a shared body means
// one more call per ViewOf (a wrapper holding the prefetch does not inline),
// and an extra call per read is what these benchmarks show costs. Keep the
// two in step when ViewOf changes.
func partNoPrefetch[T any](m *Map, off int64, n int, fn func(xs []T) error) (err error) {
	size, align := sizeAlign[T]()
	if !isNumber[T]() {
		if err := checkLayout(reflect.TypeFor[T]()); err != nil {
			return err
		}
	}
	s, ok := m.pins.acquire()
	if !ok {
		return ErrClosed
	}
	d := m.cur.Load().data
	if !fits(d, off, n, size, align) {
		m.pins.release(s)
		return boundsError[T](d, off, n, size, align)
	}
	xs := castSlice[T](d[off:], n)
	old := debug.SetPanicOnFault(true)
	done := false
	defer func() {
		if !done {
			m.abort(s, old, recover(), nil, &err)
		}
	}()
	err = fn(xs)
	done = true
	debug.SetPanicOnFault(old)
	m.pins.release(s)
	return err
}

// partPrefetchCall is partCall after ViewOf's prefetch.
//
//go:noinline
func partPrefetchCall[T any](m *Map, off int64, n int, fn func(xs []T) error) error {
	m.warm(off, uintptr(n)*8)
	return partCall(m, off, n, fn)
}
