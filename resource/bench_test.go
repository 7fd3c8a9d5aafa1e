package resource_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/patinox/memory/resource"
)

func closeConn(_ context.Context, c *int) error {
	*c++
	return nil
}

var leakLevels = []struct {
	name  string
	level resource.LeakLevel
}{
	{"off", resource.LeaksOff},
	{"sampled", resource.LeaksSampled},
	{"all", resource.LeaksAll},
}

// BenchmarkTrackRelease measures one Track plus one Guard.Release, the hot
// path of the package, per leak level, sequentially and in parallel.
func BenchmarkTrackRelease(b *testing.B) {
	for _, lv := range leakLevels {
		b.Run("leaks="+lv.name, func(b *testing.B) {
			b.Run("mode=seq", func(b *testing.B) { benchTrackRelease(b, lv.level, false) })
			b.Run("mode=parallel", func(b *testing.B) { benchTrackRelease(b, lv.level, true) })
		})
	}
}

func benchTrackRelease(b *testing.B, level resource.LeakLevel, parallel bool) {
	r := newBenchRegistry(b, level)
	b.ReportAllocs()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			c := new(int)
			for pb.Next() {
				if err := trackRelease(r, c); err != nil {
					b.Error(err)
					return
				}
			}
		})
		return
	}
	c := new(int)
	for b.Loop() {
		if err := trackRelease(r, c); err != nil {
			b.Fatal(err)
		}
	}
}

func trackRelease(r *resource.Registry, c *int) error {
	g, err := resource.Track(r, c, closeConn)
	if err != nil {
		return err
	}
	return g.Release(context.Background())
}

func newBenchRegistry(b *testing.B, level resource.LeakLevel) *resource.Registry {
	b.Helper()
	r, err := resource.NewRegistry(&resource.Options{Leaks: level})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := r.Shutdown(context.Background()); err != nil {
			b.Error(err)
		}
	})
	return r
}

// BenchmarkRegisterRelease measures the untyped form: Register plus
// Registry.Release by ID.
func BenchmarkRegisterRelease(b *testing.B) {
	r := newBenchRegistry(b, resource.LeaksOff)
	ctx := context.Background()
	nop := func(context.Context) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		id, err := r.Register(nop)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Release(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReleaseAsync measures Register plus ReleaseAsync through the
// scheduler, including running every cleanup on the workers.
func BenchmarkReleaseAsync(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			r, err := resource.NewRegistry(&resource.Options{Leaks: resource.LeaksOff, Workers: workers})
			if err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			done := func(context.Context) error { wg.Done(); return nil }
			b.ReportAllocs()
			for b.Loop() {
				wg.Add(1)
				id, err := r.Register(done)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.ReleaseAsync(id); err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
			b.StopTimer()
			if err := r.Shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// baselineObj has the size of a LeaksOff Guard[*int] (80 bytes, with pointers).
type baselineObj struct{ _ [10]*byte }

var baselineSink *baselineObj

// BenchmarkBaseline measures the runtime operations the hot path is built
// from, in the same run, so TrackRelease numbers from a noisy or slow
// machine can be put in proportion: one runtime.AddCleanup on a fresh
// object (the floor of leak detection), one monotonic clock read (Track and
// Release take two) and one 80-byte allocation (a LeaksOff Track allocates
// its Guard; the entry is recycled).
func BenchmarkBaseline(b *testing.B) {
	b.Run("op=addcleanup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o := &baselineObj{}
			runtime.AddCleanup(o, func(int) {}, 0)
		}
	})
	b.Run("op=clock", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			_ = time.Since(start)
		}
	})
	b.Run("op=alloc80", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			baselineSink = &baselineObj{}
		}
	})
}

// BenchmarkBurstRetained registers a burst of 20,000 resources (half with a
// TTL), releases them all, goes on with light use (160,000 resources
// registered and released one at a time) and reports the heap still
// allocated afterwards, per resource of the burst (retained-B/resource,
// after two GCs; a value at or below 0 means nothing was kept), with the
// registry still open.
func BenchmarkBurstRetained(b *testing.B) {
	const burst = 20_000
	heap := func() int64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	ctx := context.Background()
	ids := make([]resource.ID, burst)
	var retained int64
	for b.Loop() {
		r, err := resource.NewRegistry(nil)
		if err != nil {
			b.Fatal(err)
		}
		before := heap()
		for i := range ids {
			var opts []resource.Option
			if i%2 == 0 {
				opts = append(opts, resource.WithTTL(time.Hour))
			}
			if ids[i], err = r.Register(func(context.Context) error { return nil }, opts...); err != nil {
				b.Fatal(err)
			}
		}
		for _, id := range ids {
			if err := r.Release(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
		for range 8 * burst {
			id, err := r.Register(func(context.Context) error { return nil }, resource.WithTTL(time.Hour))
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Release(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
		retained += heap() - before
		runtime.KeepAlive(r)
		_ = r.Shutdown(ctx)
	}
	b.ReportMetric(float64(retained)/float64(b.N*burst), "retained-B/resource")
}
