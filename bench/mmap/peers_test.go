//go:build linux

package mmap

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	mmapgo "github.com/edsrzf/mmap-go"
	"github.com/patinox/memory/mmap"
	"go.uber.org/goleak"
	expmmap "golang.org/x/exp/mmap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const fileSize = 256 << 20 // the benchmarks' file, as in patinox's own mmap benchmarks

// maps is one file mapped by every contender, warm (every page touched).
type maps struct {
	ours *mmap.Map
	exp  *expmmap.ReaderAt
	mgo  mmapgo.MMap
	file *os.File // for pread
}

// open writes a file of size bytes (random words) and maps it with every
// library; everything is closed when tb ends.
func open(tb testing.TB, size int) *maps {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "data")
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < len(data); i += 8 {
		binary.LittleEndian.PutUint64(data[i:], r.Uint64())
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Skipf("cannot write the benchmark file: %v", err)
	}
	var m maps
	var err error
	if m.ours, err = mmap.Open(path, mmap.ReadOnly); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.ours.Close() })
	if m.exp, err = expmmap.Open(path); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.exp.Close() })
	if m.file, err = os.Open(path); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.file.Close() })
	if m.mgo, err = mmapgo.Map(m.file, mmapgo.RDONLY, 0); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.mgo.Unmap() })
	var sum byte
	page := os.Getpagesize()
	_ = m.ours.View(func(d []byte) error {
		for i := 0; i < len(d); i += page {
			sum += d[i]
		}
		return nil
	})
	for i := 0; i < size; i += page {
		sum += m.exp.At(i) + m.mgo[i]
	}
	sinkByte.Store(uint32(sum))
	return &m
}

var sinkByte atomic.Uint32

// contender reads 64 bytes at each offset and returns a sum of what it read.
type contender struct {
	name string
	read func(m *maps, offs []int64, buf []byte) uint64
}

var contenders = []contender{
	{"patinox-viewof", func(m *maps, offs []int64, _ []byte) uint64 {
		var s uint64
		for _, off := range offs {
			_ = mmap.ViewOf(m.ours, off, 64, func(xs []byte) error { s += uint64(xs[0]) + uint64(xs[63]); return nil })
		}
		return s
	}},
	{"patinox-readat", copying(func(m *maps) io.ReaderAt { return m.ours })},
	{"x-exp-readat", copying(func(m *maps) io.ReaderAt { return m.exp })},
	{"mmap-go-slice", func(m *maps, offs []int64, _ []byte) uint64 {
		var s uint64
		for _, off := range offs {
			s += uint64(m.mgo[off]) + uint64(m.mgo[off+63])
		}
		return s
	}},
	{"pread", copying(func(m *maps) io.ReaderAt { return m.file })},
}

// copying returns a contender that reads through the io.ReaderAt of m that
// reader names, with an interface call per read (the same for every copying
// contender).
func copying(reader func(m *maps) io.ReaderAt) func(m *maps, offs []int64, buf []byte) uint64 {
	return func(m *maps, offs []int64, buf []byte) uint64 {
		r, s := reader(m), uint64(0)
		for _, off := range offs {
			_, _ = r.ReadAt(buf, off)
			s += uint64(buf[0]) + uint64(buf[63])
		}
		return s
	}
}

// fill sets offs to fresh random 64-byte-aligned offsets in a file of size
// bytes.
func fill(r *rand.Rand, offs []int64, size int64) {
	for i := range offs {
		offs[i] = r.Int64N(size/64) * 64
	}
}

// BenchmarkRandom64 reads 64 bytes at random offsets of the warm file with
// every contender in one process: batches of 64 Ki fresh offsets (pread
// 8 Ki, about as long), in an order that rotates every iteration so that
// all see the same machine. It reports ns per read of each and how many
// times slower each is than x/exp/mmap's ReadAt (the copying peer).
func BenchmarkRandom64(b *testing.B) {
	m := open(b, fileSize)
	r := rand.New(rand.NewPCG(7, 8))
	offs := make([][]int64, len(contenders))
	for k, c := range contenders {
		n := 64 << 10
		if c.name == "pread" {
			n = 8 << 10
		}
		offs[k] = make([]int64, n)
	}
	buf := make([]byte, 64)
	total := make([]time.Duration, len(contenders))
	var sum uint64
	for i := 0; b.Loop(); i++ {
		for k := range offs {
			fill(r, offs[k], fileSize)
		}
		for k := range contenders {
			j := (i + k) % len(contenders)
			t0 := time.Now()
			sum += contenders[j].read(m, offs[j], buf)
			total[j] += time.Since(t0)
		}
	}
	sinkByte.Store(uint32(sum))
	perRead := make([]float64, len(contenders))
	exp := 0
	for k, c := range contenders {
		perRead[k] = float64(total[k].Nanoseconds()) / float64(b.N*len(offs[k]))
		b.ReportMetric(perRead[k], "ns/"+c.name)
		if c.name == "x-exp-readat" {
			exp = k
		}
	}
	for k, c := range contenders {
		if k != exp && c.name != "pread" {
			b.ReportMetric(perRead[k]/perRead[exp], c.name+"/x-exp")
		}
	}
}

// BenchmarkRandom64Parallel is BenchmarkRandom64 from GOMAXPROCS goroutines
// at once (each with its own offsets and sum), one contender per
// sub-benchmark; ns/op is per read, all goroutines together.
func BenchmarkRandom64Parallel(b *testing.B) {
	m := open(b, fileSize)
	for _, c := range contenders {
		if c.name == "pread" {
			continue
		}
		b.Run(fmt.Sprintf("lib=%s", c.name), func(b *testing.B) {
			var seed atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(seed.Add(1), 9))
				offs, buf := make([]int64, 1<<10), make([]byte, 64)
				var sum uint64
				for {
					fill(r, offs, fileSize)
					for i := range offs {
						if !pb.Next() {
							sinkByte.Add(uint32(sum))
							return
						}
						sum += c.read(m, offs[i:i+1], buf)
					}
				}
			})
		})
	}
}

// TestContendersAgree checks that every contender reads the same bytes at
// the same offsets (on a small file), so that the benchmarks compare equal
// work.
func TestContendersAgree(t *testing.T) {
	const size = 1 << 20
	m := open(t, size)
	offs := make([]int64, 256)
	fill(rand.New(rand.NewPCG(1, 2)), offs, size)
	buf := make([]byte, 64)
	want := contenders[len(contenders)-1].read(m, offs, buf) // pread
	if want == 0 {
		t.Fatal("the file reads as zeros: the test would not notice a contender reading the wrong bytes")
	}
	for _, c := range contenders {
		if got := c.read(m, offs, buf); got != want {
			t.Errorf("%s read sum %d, pread %d", c.name, got, want)
		}
	}
}
