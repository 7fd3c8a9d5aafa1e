package pressure

import (
	"math"
	"runtime/metrics"
)

// runtimeStats are the runtime/metrics values the monitor uses.
type runtimeStats struct {
	total, released uint64 // /memory/classes/total and heap/released, bytes
	limit           uint64 // /gc/gomemlimit, bytes (MaxInt64 when unset)
	limiterCycle    uint64 // /gc/limiter/last-enabled: GC cycle the CPU limiter was last on
}

// metricsReader reads runtimeStats through runtime/metrics, which, unlike
// runtime.ReadMemStats, does not stop the world, and does not allocate.
type metricsReader struct {
	samples [4]metrics.Sample
}

func newMetricsReader() *metricsReader {
	r := &metricsReader{}
	for i, name := range [...]string{
		"/memory/classes/total:bytes",
		"/memory/classes/heap/released:bytes",
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
	*s = runtimeStats{total: u(0), released: u(1), limit: u(2), limiterCycle: u(3)}
}

// runtimeSource turns runtimeStats into a Reading: used bytes (total minus
// released: the quantity GOMEMLIMIT is enforced against), the runtime's limit,
// and whether the GC CPU limiter switched on since the previous poll.
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
	r.Used = int64(s.total - min(s.released, s.total))
	if s.limit > 0 && s.limit < math.MaxInt64 {
		r.GoMemLimit = int64(s.limit)
	}
	r.GCLimiter = s.limiterCycle > rs.lastLimiter
	rs.lastLimiter = s.limiterCycle
}
