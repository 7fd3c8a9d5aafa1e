package cow_test

import (
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patinox/memory/cow"
)

type settings struct {
	Limit int
	Name  string
}

var sinkSettings *settings

// BenchmarkLoad compares Value.Load and Versioned.Load with a bare
// atomic.Pointer.Load of the same pointer type (the floor), each called
// directly so that it can be inlined, from one goroutine and from all Ps.
func BenchmarkLoad(b *testing.B) {
	v := cow.New(&settings{Limit: 1}, nil)
	vv := cow.NewVersioned(&settings{Limit: 1}, nil)
	var p atomic.Pointer[settings]
	p.Store(&settings{Limit: 1})
	b.Run("impl=atomic.Pointer/goroutines=1", func(b *testing.B) {
		var s *settings
		for b.Loop() {
			s = p.Load()
		}
		sinkSettings = s
	})
	b.Run("impl=cow.Value/goroutines=1", func(b *testing.B) {
		b.ReportAllocs()
		var s *settings
		for b.Loop() {
			s = v.Load()
		}
		sinkSettings = s
	})
	b.Run("impl=cow.Versioned/goroutines=1", func(b *testing.B) {
		b.ReportAllocs()
		var s *settings
		for b.Loop() {
			s, _ = vv.Load()
		}
		sinkSettings = s
	})
	b.Run("impl=atomic.Pointer/goroutines=GOMAXPROCS", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var s *settings
			for pb.Next() {
				s = p.Load()
			}
			sinkSettings = s
		})
	})
	b.Run("impl=cow.Value/goroutines=GOMAXPROCS", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var s *settings
			for pb.Next() {
				s = v.Load()
			}
			sinkSettings = s
		})
	})
}

// BenchmarkUpdate compares Value.Update (clone, modify, publish) with the
// same change made in place under a sync.RWMutex, for a small struct and for
// a 100-entry map (where cloning dominates).
func BenchmarkUpdate(b *testing.B) {
	b.Run("state=struct/impl=cow.Value", func(b *testing.B) {
		v := cow.New(settings{}, nil)
		b.ReportAllocs()
		for b.Loop() {
			_ = v.Update(func(s settings) (settings, error) { s.Limit++; return s, nil })
		}
	})
	b.Run("state=struct/impl=RWMutex", func(b *testing.B) {
		var mu sync.RWMutex
		var s settings
		b.ReportAllocs()
		for b.Loop() {
			mu.Lock()
			s.Limit++
			mu.Unlock()
		}
	})
	m := make(map[string]int, 100)
	for i := range 100 {
		m[strconv.Itoa(i)] = i
	}
	b.Run("state=map100/impl=cow.Value", func(b *testing.B) {
		v := cow.New(maps.Clone(m), maps.Clone[map[string]int])
		b.ReportAllocs()
		for b.Loop() {
			_ = v.Update(func(s map[string]int) (map[string]int, error) { s["7"]++; return s, nil })
		}
	})
	b.Run("state=map100/impl=RWMutex", func(b *testing.B) {
		var mu sync.RWMutex
		s := maps.Clone(m)
		b.ReportAllocs()
		for b.Loop() {
			mu.Lock()
			s["7"]++
			mu.Unlock()
		}
	})
}

// BenchmarkReadMostly runs 1 Update per 1000 reads from all Ps: the case cow
// is for. Reads are Load for cow.Value and RLock/RUnlock for the RWMutex.
func BenchmarkReadMostly(b *testing.B) {
	b.Run("impl=cow.Value", func(b *testing.B) {
		v := cow.New(settings{}, nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			n := 0
			for pb.Next() {
				if n++; n%1000 == 0 {
					_ = v.Update(func(s settings) (settings, error) { s.Limit++; return s, nil })
				} else if v.Load().Limit < 0 {
					panic("unreachable")
				}
			}
		})
	})
	b.Run("impl=RWMutex", func(b *testing.B) {
		var mu sync.RWMutex
		var s settings
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			n := 0
			for pb.Next() {
				if n++; n%1000 == 0 {
					mu.Lock()
					s.Limit++
					mu.Unlock()
					continue
				}
				mu.RLock()
				bad := s.Limit < 0
				mu.RUnlock()
				if bad {
					panic("unreachable")
				}
			}
		})
	})
}

// BenchmarkLoadRatio interleaves batches of bare atomic.Pointer loads and of
// Value.Load, so that both see the same machine noise, and reports
// value/atomic, the ratio of their per-load times (target ≤ 1.5).
func BenchmarkLoadRatio(b *testing.B) {
	const batch = 1 << 14
	v := cow.New(&settings{Limit: 1}, nil)
	var p atomic.Pointer[settings]
	p.Store(&settings{Limit: 1})
	var tAtomic, tValue time.Duration
	var s *settings
	for b.Loop() {
		t0 := time.Now()
		for range batch {
			s = p.Load()
		}
		t1 := time.Now()
		for range batch {
			s = v.Load()
		}
		t2 := time.Now()
		tAtomic += t1.Sub(t0)
		tValue += t2.Sub(t1)
	}
	sinkSettings = s
	b.ReportMetric(float64(tValue)/float64(tAtomic), "value/atomic")
	b.ReportMetric(float64(tAtomic.Nanoseconds())/float64(b.N*batch), "ns/atomic-load")
	b.ReportMetric(float64(tValue.Nanoseconds())/float64(b.N*batch), "ns/value-load")
}
