package pressure

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// orderHandler records the level of each record; its first record blocks
// until release is closed (a slow handler).
type orderHandler struct {
	mu      sync.Mutex
	levels  []string
	first   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *orderHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *orderHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *orderHandler) WithGroup(string) slog.Handler            { return h }
func (h *orderHandler) Handle(_ context.Context, r slog.Record) error {
	if h.first.CompareAndSwap(false, true) {
		close(h.entered)
		<-h.release
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "level" {
			h.mu.Lock()
			h.levels = append(h.levels, a.Value.String())
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

// TestLoggerRecordsInOrder: with a slow handler, a level change made while
// an earlier one is being logged is logged after it, so the last record
// names the level in force (logging after unlocking, without order, could
// log them the other way round), and the second Set does not wait.
func TestLoggerRecordsInOrder(t *testing.T) {
	h := &orderHandler{entered: make(chan struct{}), release: make(chan struct{})}
	f := &fakeRuntime{}
	f.limit.Store(1000)
	m := newFakeMonitor(t, f, Options{Interval: time.Hour, Calm: time.Hour, Logger: slog.New(h)})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = m.Set(High)
	}()
	<-h.entered // Set(High) changed the level and is logging
	if err := m.Set(Normal); err != nil {
		t.Fatal(err)
	}
	close(h.release)
	<-done
	h.mu.Lock()
	defer h.mu.Unlock()
	if last := h.levels[len(h.levels)-1]; last != m.Level().String() {
		t.Errorf("records %v: the last says %s, the level is %v", h.levels, last, m.Level())
	}
}

// TestSetSameLevelLogsNothing: Options.Logger gets one record per level
// change; a Set of the level already in force (an operator repeating
// it) changes nothing and logs nothing.
func TestSetSameLevelLogsNothing(t *testing.T) {
	h := &orderHandler{}
	h.first.Store(true) // no slow first record
	m := newFakeMonitor(t, &fakeRuntime{}, Options{Interval: time.Hour, Calm: time.Hour, Logger: slog.New(h)})
	for _, l := range []Level{High, High, Normal, Normal} {
		if err := m.Set(l); err != nil {
			t.Fatal(err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if got := fmt.Sprint(h.levels); got != "[high normal]" {
		t.Errorf("records %s, want [high normal]", got)
	}
}
