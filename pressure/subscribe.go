package pressure

import (
	"context"
	"iter"
	"sync"
	"time"
)

// subscriber delivers level changes to one callback. A delivery runs on a
// goroutine of its own, so a slow callback delays nobody else, and that
// goroutine exists only while there is something to deliver or the
// interval after a delivery has not passed: an idle subscription costs no
// goroutine, and stopping it needs no channel operation (so it may be
// called from anywhere, a runtime cleanup included).
type subscriber struct {
	m        *Monitor
	fn       func(Level)
	interval time.Duration

	mu      sync.Mutex // protects following fields
	last    Level      // the last level delivered (Normal at first)
	pending Level      // the newest level posted
	running bool       // a delivery goroutine is active
	stopped bool
}

// stop ends deliveries: after it returns, fn is not called again (a call
// already running finishes). A delivery goroutine waiting out its interval
// ends when the interval passes or the monitor closes.
func (s *subscriber) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

// post records l as the newest level and starts a delivery goroutine if
// none is active and l is news. Only the monitor calls it, under its lock,
// so Close cannot miss the goroutine it starts.
func (s *subscriber) post(l Level) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = l
	if s.running || s.stopped || l == s.last {
		return
	}
	s.running = true
	s.m.wg.Add(1)
	go s.deliver()
}

// deliver calls fn with the newest level, then waits out the interval, and
// repeats while the level changed meanwhile. A level equal to the last one
// delivered is skipped, so the newest level is always delivered eventually
// and a return to Normal is always announced.
func (s *subscriber) deliver() {
	defer s.m.wg.Done()
	var wait *time.Timer
	for {
		s.mu.Lock()
		if s.stopped || s.pending == s.last {
			s.running = false
			s.mu.Unlock()
			return
		}
		l := s.pending
		s.last = l
		s.mu.Unlock()
		s.fn(l)
		if wait == nil {
			wait = time.NewTimer(s.interval)
		} else {
			wait.Reset(s.interval)
		}
		select {
		case <-s.m.done:
			wait.Stop()
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
			return
		case <-wait.C:
		}
	}
}

// Subscribe calls fn with the new level whenever the level changes, on a
// goroutine that exists only while a delivery is due: fn never runs under a
// lock, a slow fn delays no other subscriber, and an idle subscription
// costs no goroutine. Changes are coalesced to at most one call per
// Options.Interval, the newest level winning; the newest level is always
// delivered, so the return to Normal is always announced. If the level is
// above Normal at subscription, fn is called with it first, so a component
// created under pressure reacts at once. Calling stop (idempotent, safe from
// inside fn and from any goroutine) ends the subscription: no call of fn
// starts after it returns. Close ends them all and waits for running calls.
// A nil fn panics here, at the call, rather than on a delivery goroutine
// at the first level above Normal.
func (m *Monitor) Subscribe(fn func(Level)) (stop func()) {
	if fn == nil {
		panic("pressure: Subscribe: nil fn")
	}
	stop, _ = m.subscribe(fn, false)
	return stop
}

// subscribe is Subscribe; with quiet the level at subscription counts as
// delivered already (fn gets only later changes) and is returned, taken
// under the same lock as the subscription so that no change falls between
// the two (Watch yields it itself).
func (m *Monitor) subscribe(fn func(Level), quiet bool) (stop func(), cur Level) {
	s := &subscriber{m: m, fn: fn, interval: m.interval}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur = m.h.level
	if m.closed {
		return func() {}, cur
	}
	m.subs[s] = struct{}{}
	if quiet {
		s.last = cur
	} else if cur > Normal {
		s.post(cur)
	}
	return func() {
		m.mu.Lock()
		delete(m.subs, s)
		m.mu.Unlock()
		s.stop()
	}, cur
}

// publishLocked posts l to every subscriber, updates Level and queues
// m.reading for the logger. The caller calls flushLog after unlocking.
func (m *Monitor) publishLocked(l Level) {
	m.level.Store(int32(l))
	for s := range m.subs {
		s.post(l)
	}
	if m.logger != nil {
		m.toLog = append(m.toLog, m.reading)
	}
}

// flushLog writes the queued level changes to Options.Logger, in order.
// It is called without m.mu: the logger's handler is user code, which may
// call back into the monitor (Reading, to enrich its records; even Set) or
// be slow. One goroutine logs at a time; a caller that finds another one
// logging leaves its records to it and returns at once.
func (m *Monitor) flushLog() {
	if m.logger == nil {
		return // nothing is ever queued
	}
	for m.logMu.TryLock() {
		for _, r := range m.takeLog() {
			m.logger.Info("memory pressure", "level", r.Level.String(), "ratio", r.Ratio, "limit", r.Limit)
		}
		m.logMu.Unlock()
		m.mu.Lock()
		more := len(m.toLog) > 0 // queued after the last take, by a caller that found logMu held
		m.mu.Unlock()
		if !more {
			return
		}
	}
}

// takeLog returns the queued level changes, oldest first, and empties
// the queue.
func (m *Monitor) takeLog() []Reading {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.toLog
	m.toLog = nil
	return q
}

// Watch returns an iterator over levels: first the current one, then each
// change after it as Subscribe delivers it (never a level that one already
// yielded has replaced). It ends when ctx is done, the loop body breaks, or the
// monitor is closed; after that its subscription is gone, though a delivery
// goroutine that has just called it may finish waiting out its Interval
// (the monitor owns it, and Close ends it).
func (m *Monitor) Watch(ctx context.Context) iter.Seq[Level] {
	return func(yield func(Level) bool) {
		ch := make(chan Level, 1)
		stop, last := m.subscribe(func(l Level) {
			select {
			case <-ch:
			default:
			}
			ch <- l
		}, true)
		defer stop()
		if !yield(last) {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-m.done:
				return
			case l := <-ch:
				if l == last {
					continue
				}
				last = l
				if !yield(l) {
					return
				}
			}
		}
	}
}
