package pressure

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// readingHandler is a slog.Handler that adds the monitor's current reading
// to what it logs, as a handler enriching records with memory stats would:
// it calls back into the monitor. The call runs on a goroutine of its own,
// so that a monitor that logs under its lock makes the call time out (and
// the test fail) instead of deadlocking the test.
type readingHandler struct {
	mon     atomic.Pointer[Monitor]
	handled chan Level // the level of each record handled
	stuck   atomic.Bool
}

func (h *readingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *readingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *readingHandler) WithGroup(string) slog.Handler            { return h }

func (h *readingHandler) Handle(_ context.Context, rec slog.Record) error {
	m := h.mon.Load()
	if m == nil {
		return nil // NewMonitor's first poll
	}
	got := make(chan Reading, 1)
	go func() { got <- m.Reading() }()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		h.stuck.Store(true)
	}
	var lvl Level
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "level" {
			for l := Normal; l <= Critical; l++ {
				if l.String() == a.Value.String() {
					lvl = l
				}
			}
		}
		return true
	})
	h.handled <- lvl
	return nil
}

// TestLoggerMayCallMonitor: Options.Logger is user code (its handler); the
// monitor must not call it under its lock, or a handler that reads the
// monitor (here Reading, to enrich the record) deadlocks every level
// change, from Set and from a poll alike, and a slow handler stalls
// Reading, Subscribe and Set.
func TestLoggerMayCallMonitor(t *testing.T) {
	h := &readingHandler{handled: make(chan Level, 16)}
	f := &fakeRuntime{}
	f.limit.Store(1000)
	m := newFakeMonitor(t, f, Options{Interval: 10 * time.Millisecond, Calm: time.Hour, Logger: slog.New(h)})
	h.mon.Store(m)

	if err := m.Set(Moderate); err != nil { // a change by Set
		t.Fatal(err)
	}
	if l := <-h.handled; l != Moderate || h.stuck.Load() {
		t.Fatalf("Set(Moderate) logged %v; handler calling Reading blocked: %v", l, h.stuck.Load())
	}
	f.used.Store(900) // a change found by a poll: ratio 0.9 → High
	if l := <-h.handled; l != High || h.stuck.Load() {
		t.Fatalf("the poll logged %v; handler calling Reading blocked: %v", l, h.stuck.Load())
	}
}
