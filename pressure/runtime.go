package pressure

import (
	"math"
	"runtime/metrics"
)

// runtimeStats are the runtime/metrics values the monitor uses.
type runtimeStats struct {
	total, released uint64 // /memory/classes/total and heap/released, bytes
	free, objects   uint64 // /memory/classes/heap/free and heap/objects (live and dead objects)
	unused          uint64 // /memory/classes/heap/unused: fragmentation inside spans
	live            uint64 // /gc/heap/live: heap marked live by the last GC
	limit           uint64 // /gc/gomemlimit, bytes (MaxInt64 when unset)
	limiterCycle    uint64 // /gc/limiter/last-enabled: GC cycle the CPU limiter was last on
}

// used is the live heap plus everything the runtime holds outside the heap
// (goroutine stacks, GC metadata, other runtime structures): the memory the
// process needs after a collection. Heap garbage, free heap pages and
// fragmentation are left out: the GC gives those back when the limit
// nears, so counting them would read pressure whenever the heap is merely
// growing toward its next collection.
func (s *runtimeStats) used() int64 {
	heap := s.released + s.free + s.objects + s.unused
	overhead := s.total - min(heap, s.total)
	return int64(s.live + overhead)
}

// metricsReader reads runtimeStats through runtime/metrics, which, unlike
// runtime.ReadMemStats, does not stop the world, and does not allocate.
type metricsReader struct {
	samples [8]metrics.Sample
}

func newMetricsReader() *metricsReader {
	r := &metricsReader{}
	for i, name := range [...]string{
		"/memory/classes/total:bytes",
		"/memory/classes/heap/released:bytes",
		"/memory/classes/heap/free:bytes",
		"/memory/classes/heap/objects:bytes",
		"/memory/classes/heap/unused:bytes",
		"/gc/heap/live:bytes",
		"/gc/gomemlimit:bytes",
		"/gc/limiter/last-enabled:gc-cycle",
	} {
		r.samples[i].Name = name
	}
	return r
}

func (r *metricsReader) read(s *runtimeStats) {
	metrics.Read(r.samples[:])
	u := func(i int) uint64 {
		if r.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return r.samples[i].Value.Uint64()
	}
	*s = runtimeStats{total: u(0), released: u(1), free: u(2), objects: u(3), unused: u(4),
		live: u(5), limit: u(6), limiterCycle: u(7)}
}

// runtimeSource turns runtimeStats into a Reading: used bytes (live heap
// plus runtime overhead), the runtime's limit, and whether the GC CPU
// limiter switched on since the previous poll.
type runtimeSource struct {
	read        func(*runtimeStats)
	stats       runtimeStats // reused: a stack value would escape through read
	lastLimiter uint64
}

func newRuntimeSource(read func(*runtimeStats)) *runtimeSource {
	var s runtimeStats
	read(&s)
	// A limiter episode before the monitor started is not news.
	return &runtimeSource{read: read, lastLimiter: s.limiterCycle}
}

func (rs *runtimeSource) poll(r *Reading) {
	s := &rs.stats
	rs.read(s)
	r.Used = s.used()
	if s.limit > 0 && s.limit < math.MaxInt64 {
		r.GoMemLimit = int64(s.limit)
	}
	r.GCLimiter = s.limiterCycle > rs.lastLimiter
	rs.lastLimiter = s.limiterCycle
}
