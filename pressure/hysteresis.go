package pressure

import "time"

// hysteresis turns raw observations into a level that escalates at once and
// steps down one level at a time after a sustained calm. It is a pure state
// machine: the monitor feeds it one observation per poll.
type hysteresis struct {
	thresholds [3]Threshold // Moderate, High, Critical
	calm       time.Duration

	level      Level
	calmSince  time.Time // when usage first dropped below the current level's exit; zero if not calm
	calmActive bool
}

// observation is what the sources saw in one poll.
type observation struct {
	ratio  float64 // used/limit; 0 when no limit is known
	events Level   // the highest level implied by events (cgroup events, PSI, GC limiter)
}

// enterLevel is the highest level whose Enter threshold ratio reaches.
func (h *hysteresis) enterLevel(ratio float64) Level {
	for l := Critical; l > Normal; l-- {
		if ratio >= h.thresholds[l-1].Enter {
			return l
		}
	}
	return Normal
}

// holds reports whether the observation keeps the monitor at level l.
func (h *hysteresis) holds(o observation, l Level) bool {
	if l == Normal || o.events >= l {
		return true
	}
	return o.ratio >= h.thresholds[l-1].Exit
}

// step applies one observation at time now and reports the new level.
func (h *hysteresis) step(o observation, now time.Time) Level {
	if up := max(h.enterLevel(o.ratio), o.events); up > h.level {
		h.level, h.calmActive = up, false
		return h.level
	}
	if h.holds(o, h.level) {
		h.calmActive = false
		return h.level
	}
	if !h.calmActive {
		h.calmSince, h.calmActive = now, true
	}
	if now.Sub(h.calmSince) >= h.calm {
		h.level--
		h.calmSince = now // the next step down needs a calm of its own
	}
	return h.level
}

// force sets the level directly (Monitor.Set) and restarts the calm period.
func (h *hysteresis) force(l Level) {
	h.level, h.calmActive = l, false
}
