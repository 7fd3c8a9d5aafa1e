package pressure

import (
	"context"
	"iter"
	"sync"
	"time"
)

// subscriber delivers level changes to one callback on its own goroutine, so
// a slow callback delays nobody else. Its mailbox holds only the latest level.
type subscriber struct {
	fn       func(Level)
	interval time.Duration
	mail     chan Level
	quit     chan struct{}
	once     sync.Once
}

func (s *subscriber) stop() { s.once.Do(func() { close(s.quit) }) }

// post replaces any undelivered level with l. Only the monitor calls it,
// under its lock, so there is a single sender.
func (s *subscriber) post(l Level) {
	select {
	case <-s.mail:
	default:
	}
	s.mail <- l
}

// run delivers levels, at most one per interval, skipping a level equal to
// the last one delivered. The newest level is always delivered eventually,
// so a return to Normal is always announced.
func (s *subscriber) run(last Level) {
	var wait *time.Timer
	for {
		select {
		case <-s.quit:
			return
		case l := <-s.mail:
			if l == last {
				continue
			}
			last = l
			s.fn(l)
		}
		if wait == nil {
			wait = time.NewTimer(s.interval)
		} else {
			wait.Reset(s.interval)
		}
		select {
		case <-s.quit:
			wait.Stop()
			return
		case <-wait.C:
		}
	}
}

// Subscribe calls fn with the new level whenever the level changes, on a
// goroutine of its own: fn never runs under a lock and a slow fn delays no
// other subscriber. Changes are coalesced to at most one call per
// Options.Interval, the newest level winning; the newest level is always
// delivered, so the return to Normal is always announced. If the level is
// above Normal at subscription, fn is called with it first, so a component
// created under pressure reacts at once. Calling stop (idempotent, safe from
// inside fn) ends the subscription; Close ends them all.
func (m *Monitor) Subscribe(fn func(Level)) (stop func()) {
	s := &subscriber{fn: fn, interval: m.interval, mail: make(chan Level, 1), quit: make(chan struct{})}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return func() {}
	}
	m.subs[s] = struct{}{}
	m.wg.Add(1)
	go func() { defer m.wg.Done(); s.run(Normal) }()
	if l := m.h.level; l > Normal {
		s.post(l)
	}
	return func() {
		m.mu.Lock()
		delete(m.subs, s)
		m.mu.Unlock()
		s.stop()
	}
}

// publishLocked posts l to every subscriber and updates Level.
func (m *Monitor) publishLocked(l Level) {
	m.level.Store(int32(l))
	for s := range m.subs {
		s.post(l)
	}
	if m.logger != nil {
		m.logger.Info("memory pressure", "level", l.String(), "ratio", m.reading.Ratio, "limit", m.reading.Limit)
	}
}

// Watch returns an iterator over levels: first the current one, then each
// change as Subscribe delivers it. It ends when ctx is done, the loop body
// breaks, or the monitor is closed; nothing of it outlives the iteration.
func (m *Monitor) Watch(ctx context.Context) iter.Seq[Level] {
	return func(yield func(Level) bool) {
		ch := make(chan Level, 1)
		stop := m.Subscribe(func(l Level) {
			select {
			case <-ch:
			default:
			}
			ch <- l
		})
		defer stop()
		last := m.Level()
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
				if l == last { // Subscribe's first call repeats the current level
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
