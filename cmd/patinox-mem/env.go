package main

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/resource"
)

// env is what the demo gives every component.
type env struct {
	registry *resource.Registry // shared by every component; the demo shuts it down
	dir      string             // the demo's temp directory: put files here
	seed     uint64             // the run's seed (each agent's rng derives from it)
	agents   int                // number of agents
	duration time.Duration      // how long agents run
	log      io.Writer          // stderr: for occasional messages, not per-step output

	// memlimit is the --memlimit the demo set with debug.SetMemoryLimit (0:
	// none). pressure is the monitor components pass to their
	// Options.Pressure; nil without --memlimit or with --no-monitor.
	memlimit int64
	pressure *pressure.Monitor
	// cacheView, set by the cache component's start, lets the memory
	// component show the cache's bound and hit ratio; nil without a cache.
	cacheView func() cacheView

	events eventCounts // every registry event, counted by type

	mu       sync.Mutex                             // serializes onEvent
	handlers atomic.Pointer[[]func(resource.Event)] // read without a lock on every event
}

// onEvent adds fn to the functions called for every registry event. fn runs
// on the goroutine that emitted the event (an agent, a registry worker, the
// Shutdown caller), never under a registry lock; it must be safe for
// concurrent use and quick.
func (e *env) onEvent(fn func(resource.Event)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var hs []func(resource.Event)
	if p := e.handlers.Load(); p != nil {
		hs = append(hs, *p...)
	}
	hs = append(hs, fn)
	e.handlers.Store(&hs)
}

// Observe implements resource.Observer.
func (e *env) Observe(ev resource.Event) {
	e.events.add(ev.Type)
	if p := e.handlers.Load(); p != nil {
		for _, fn := range *p {
			fn(ev)
		}
	}
}

// eventCounts counts events by type.
type eventCounts struct {
	n [resource.ShutdownDone + 1]atomic.Int64
}

func (c *eventCounts) add(t resource.EventType) {
	if t >= 0 && int(t) < len(c.n) {
		c.n[t].Add(1)
	}
}

func (c *eventCounts) get(t resource.EventType) int64 {
	if t >= 0 && int(t) < len(c.n) {
		return c.n[t].Load()
	}
	return 0
}
