package cache

import (
	"runtime"
	"time"

	"github.com/patinox/memory/pressure"
)

// pressureShare is the share of its configured bound a cache keeps at each
// memory-pressure level.
var pressureShare = [...]float64{
	pressure.Normal:   1,
	pressure.Moderate: 0.80,
	pressure.High:     0.50,
	pressure.Critical: 0.25,
}

// growStep is how much of the configured bound the cache takes back per
// monitor interval once pressure is Normal again.
const growStep = 0.25

// watchPressure subscribes c to mon. The callback runs on the monitor's
// delivery goroutine; growing back runs on a timer armed only while the
// cache is below its configured bound at Normal. The subscription holds c
// only weakly (Cache.self), and a runtime cleanup ends it if c is dropped
// unclosed, so that the monitor never keeps an abandoned cache, and its
// values, alive.
func (c *Cache[K, V]) watchPressure(mon *pressure.Monitor) {
	interval := mon.Interval()
	self := c.self
	stop := mon.Subscribe(func(l pressure.Level) {
		if c := self.Value(); c != nil {
			c.onPressure(l, interval)
		}
	})
	c.unwatch = stop
	runtime.AddCleanup(c, func(stop func()) { stop() }, stop) // stop only takes locks
}

// onPressure applies a level the monitor delivered.
func (c *Cache[K, V]) onPressure(l pressure.Level, interval time.Duration) {
	c.pressLvl.Store(int32(l))
	if l == pressure.Normal {
		c.growBack(interval)
		return
	}
	if int(l) < len(pressureShare) {
		c.setShare(func(s float64) float64 { return min(s, pressureShare[l]) })
	}
}

// growBack raises the share by one step and, while the cache is still below
// its configured bound and pressure stays Normal, arms itself again.
func (c *Cache[K, V]) growBack(interval time.Duration) {
	if pressure.Level(c.pressLvl.Load()) != pressure.Normal {
		return
	}
	full := c.setShare(func(s float64) float64 {
		// Checked again under the maintenance lock: a rise delivered since
		// the check above stores the level before it takes the lock to
		// shrink, so it either stops this step or shrinks after it.
		if pressure.Level(c.pressLvl.Load()) != pressure.Normal {
			return s
		}
		return min(1, s+growStep)
	})
	if full {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.growTimer != nil {
		c.growTimer.Stop() // one chain of steps at a time
	}
	if !c.closed {
		c.growTimer = time.AfterFunc(interval, c.weakly(func(c *Cache[K, V]) { c.growBack(interval) }))
	}
}

// setShare changes the share of the configured bound in force, evicting
// with Reason Pressure when it shrinks, and reports whether the cache is at
// its full bound (or closed: nothing left to grow).
func (c *Cache[K, V]) setShare(f func(float64) float64) (full bool) {
	full = true
	c.rebound(Pressure, func() { c.share = f(c.share); full = c.share >= 1 })
	return full
}

// boundLocked is the bound in force: the configured one scaled by the
// pressure share, never below 1.
func (c *Cache[K, V]) boundLocked() int64 {
	if c.share >= 1 {
		return c.base
	}
	return max(1, int64(float64(c.base)*c.share))
}
