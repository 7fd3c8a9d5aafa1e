package resource

import (
	"sync/atomic"
	"time"
)

// A read of the system clock costs 30–50 ns on a virtual machine, as much as
// the rest of a Track; Track+Release would read it twice (the resource's
// birth and the attempt's start). The hot path reads a coarse clock instead:
// the registry clock as of the last tick of a timer that runs only while
// the registry is being used. The first read after an idle tick reads the
// system clock and arms the timer; each tick re-arms it only if the clock
// was read since the last one. So a busy registry is woken once per
// coarseTick, and an idle one not at all: no polling.
//
// A coarse reading is never ahead of the system clock and lags it by about
// one tick (more if the timer's goroutine is starved). Birth times of
// resources without a TTL or idle timeout come from it (Info's Created and Age are that precise), and so
// do the starts of attempts whose timeout is at least coarseMinTimeout, so a
// per-attempt deadline may come up to a tick early, never late. Timers (TTL,
// idle), Touch, latency samples and short timeouts use the system clock.

// coarseTick is the period of the coarse clock while it runs.
const coarseTick = time.Millisecond

// coarseMinTimeout is the shortest per-attempt timeout whose start is read
// from the coarse clock: a tick early is 0.1% of it.
const coarseMinTimeout = time.Second

// coarse clock states.
const (
	coarseIdle    = iota // no timer armed: the next read arms it
	coarseArmed          // armed, not read since the last tick
	coarseUsed           // armed and read since the last tick
	coarseStopped        // Shutdown finished: reads use the system clock
)

type coarseClock struct {
	_     [64]byte     // read on every Track: no false sharing with the fields around
	now   atomic.Int64 // registry clock at the last tick or arming
	state atomic.Int32
	timer *time.Timer // created stopped by NewRegistry
	_     [64]byte
}

// initCoarse creates the coarse clock's timer, stopped.
func (r *Registry) initCoarse() {
	r.clock.timer = time.AfterFunc(time.Hour, r.tickCoarse)
	r.clock.timer.Stop()
}

// coarseNow reads the coarse clock.
func (r *Registry) coarseNow() int64 {
	c := &r.clock
	switch c.state.Load() {
	case coarseUsed:
		return c.now.Load()
	case coarseArmed:
		c.state.CompareAndSwap(coarseArmed, coarseUsed)
		return c.now.Load()
	}
	return r.armCoarse()
}

// armCoarse reads the system clock and, if the coarse clock was idle,
// starts its timer.
//
//go:noinline
func (r *Registry) armCoarse() int64 {
	c := &r.clock
	now := r.now()
	if c.state.Load() != coarseIdle {
		return now // stopped, or another reader armed it
	}
	// Stored before arming: a reader that sees the clock armed must get a
	// fresh reading, not the one of the tick that stopped it.
	c.now.Store(now)
	if c.state.CompareAndSwap(coarseIdle, coarseArmed) {
		c.timer.Reset(coarseTick)
	}
	return now
}

// tickCoarse runs on the timer's goroutine: it advances the clock and keeps
// the timer running only if the clock was read since the last tick.
func (r *Registry) tickCoarse() {
	c := &r.clock
	c.now.Store(r.now())
	for {
		switch c.state.Load() {
		case coarseUsed:
			if c.state.CompareAndSwap(coarseUsed, coarseArmed) {
				c.timer.Reset(coarseTick)
				if c.state.Load() == coarseStopped { // stopCoarse ran in between
					c.timer.Stop()
				}
				return
			}
		case coarseArmed:
			// Not read for a whole tick: stop until the next read. A
			// reader that marks it used first (the CAS fails) makes the
			// loop keep the timer running: left used but unarmed, the
			// clock would never advance again.
			if c.state.CompareAndSwap(coarseArmed, coarseIdle) {
				return
			}
		default: // idle or stopped
			return
		}
	}
}

// stopCoarse stops the coarse clock for good (Shutdown's end): later reads
// use the system clock, and no tick re-arms the timer.
func (r *Registry) stopCoarse() {
	c := &r.clock
	for {
		s := c.state.Load()
		if c.state.CompareAndSwap(s, coarseStopped) {
			if s != coarseIdle && s != coarseStopped {
				c.timer.Stop()
			}
			return
		}
	}
}
