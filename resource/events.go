package resource

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// EventType says what happened.
type EventType int

// Event types.
const (
	Registered      EventType = iota + 1 // Track or Register succeeded
	Released                             // a cleanup (or its fallback) finished successfully
	CleanupFailed                        // one attempt failed (Err, Attempt)
	Retrying                             // a retry is scheduled (Attempt is the next attempt)
	GaveUp                               // the cleanup failed for good (Err is the *CleanupError)
	FellBack                             // the fallback ran (Err is its error, nil on success)
	Leaked                               // a Guard became unreachable unreleased (Stack, Count)
	Expired                              // a TTL or idle timeout released the resource
	Reclaimed                            // Reclaim released the resource or called its ReclaimWith (Size = bytes freed)
	Detached                             // Detach removed the resource; its cleanup will not run
	ShutdownStarted                      // Shutdown began (ID is 0)
	ShutdownDone                         // Shutdown returned (Err is its result)
)

var eventNames = [...]string{"", "registered", "released", "cleanup-failed", "retrying", "gave-up",
	"fell-back", "leaked", "expired", "reclaimed", "detached", "shutdown-started", "shutdown-done"}

// String returns the lower-case, dash-separated name ("cleanup-failed").
func (t EventType) String() string {
	if t > 0 && int(t) < len(eventNames) {
		return eventNames[t]
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// Event describes one thing that happened to a resource or the registry.
type Event struct {
	Type     EventType
	ID       ID
	Kind     string
	Priority Priority
	Size     int64
	Time     time.Time     // when the event happened
	Age      time.Duration // time since the resource was registered
	Attempt  int           // attempt number for CleanupFailed, Retrying, GaveUp
	Err      error
	Stack    string // Leaked: the creation stack, when recorded, on the first report of a leak site
	Count    int64  // Leaked: how many leaks with this kind and creation stack so far
}

// Observer receives events. The registry calls Observe synchronously on the
// goroutine where the event happens (the releasing caller, a worker, the
// Shutdown caller), never while it holds a lock. Observe must be safe for
// concurrent use and should return quickly: it delays the goroutine that
// emitted the event, and must not panic (on a worker that would crash the
// program). A slow consumer should copy events into its own buffered
// channel.
//
// Order: a resource's Registered event comes before any other event of
// it. Until Observe returns for Registered, nothing can claim the resource
// (a Shutdown waits for it; Reclaim, ReleaseMatching and timers pass it
// by) except a Release, ReleaseAsync or Detach by its ID, which only the
// observer can know yet: Observe may release it so, or register a resource
// that depends on it. A resource with DependsOn is announced before it is
// linked to what it depends on, so Observe may also release those: the
// registration is then refused. A registration with DependsOn that is
// refused after its Registered event (a resource it depends on was
// claimed meanwhile, or Shutdown began) is followed by Detached. Observe
// must not call Shutdown, which waits for what a Registered event holds
// back. The end events (Released, GaveUp, Detached) of different resources
// are not ordered: a dependent's cleanup finishes before the cleanup of
// what it depends on starts, but its event may arrive after that one's
// (an observer may release, and wait for, what the dependent depended on).
// ShutdownDone is the last event: Shutdown waits for the events of
// releases that finished on other goroutines as it began, so Observe must
// not wait for Shutdown to return either. Exceptions: if Shutdown's context
// ended first, a cleanup still running reports later; and a Reclaim under
// way as Shutdown ends may still report what a ReclaimWith function did
// (Reclaimed, or the pressure reaction's CleanupFailed), since Shutdown
// does not wait for those functions.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

type observers []Observer

func (os observers) Observe(e Event) {
	for _, o := range os {
		o.Observe(e)
	}
}

func multiObserver(os ...Observer) Observer {
	var out observers
	for _, o := range os {
		if o != nil {
			out = append(out, o)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// SlogObserver returns an Observer that logs every event on l: failures,
// give-ups and leaks at Warn (a first leak report includes its creation
// stack), Registered and Released at Debug, the rest at Info.
func SlogObserver(l *slog.Logger) Observer {
	return ObserverFunc(func(e Event) { logEvent(l, e) })
}

func logEvent(l *slog.Logger, e Event) {
	level := slog.LevelInfo
	switch e.Type {
	case Registered, Released:
		level = slog.LevelDebug
	case CleanupFailed, GaveUp, Leaked:
		level = slog.LevelWarn
	}
	ctx := context.Background()
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 10)
	if e.ID != 0 {
		attrs = append(attrs, slog.String("id", e.ID.String()), slog.String("kind", e.Kind),
			slog.String("priority", e.Priority.String()), slog.Duration("age", e.Age))
	}
	if e.Size != 0 {
		attrs = append(attrs, slog.Int64("size", e.Size))
	}
	if e.Attempt != 0 {
		attrs = append(attrs, slog.Int("attempt", e.Attempt))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("err", e.Err.Error()))
	}
	if e.Count != 0 {
		attrs = append(attrs, slog.Int64("count", e.Count))
	}
	if e.Stack != "" {
		attrs = append(attrs, slog.String("stack", e.Stack))
	}
	l.LogAttrs(ctx, level, "resource "+e.Type.String(), attrs...)
}
