package pool

import (
	"runtime"
	"strings"
	"time"
)

// Reason says why a connection was destroyed.
type Reason uint8

// The reasons a connection is destroyed.
const (
	Lifetime    Reason = iota // it outlived MaxLifetime (plus its jitter)
	IdleTimeout               // it stayed idle longer than MaxIdleTime
	Unhealthy                 // Check failed
	Broken                    // the holder called Lease.Destroy
	ResetFailed               // Reset failed on Release
	Closed                    // the pool was closed
	Evicted                   // a keyed pool needed its slot for another key
	Shrunk                    // Resize lowered MaxSize below the pool's size
	Flushed                   // it was idle when an outage began (and there is no Check)
	Unreleased                // its lease became unreachable without Release
	Trimmed                   // memory pressure trimmed the idle connections to MinIdle
	numReasons
)

var reasonNames = [numReasons]string{
	"lifetime", "idle", "unhealthy", "broken", "reset failed", "closed",
	"evicted", "shrunk", "flushed", "unreleased", "trimmed",
}

// String returns the reason in words ("lifetime", "reset failed", ...).
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// EventType says what an Event reports.
type EventType uint8

// The events a pool reports to its Observer.
const (
	EventCreated      EventType = iota // a connection was created
	EventCreateFailed                  // create failed (Err)
	EventDestroyed                     // a connection was destroyed (Reason, Err if destroy failed)
	EventLeak                          // a lease is held longer than LeakThreshold (Held, Stack)
	EventLeakReturned                  // a lease reported by EventLeak was released (Held)
	EventUnreleased                    // a lease became unreachable unreleased; its slot is recovered (Stack if known)
	EventOutage                        // a failed create or check began an outage (Err)
)

var eventNames = [...]string{"created", "create failed", "destroyed", "leak", "leak returned", "unreleased", "outage"}

// String returns the event type in words.
func (t EventType) String() string {
	if int(t) < len(eventNames) {
		return eventNames[t]
	}
	return "unknown"
}

// Event is one thing that happened in a pool.
type Event struct {
	Type   EventType
	Time   time.Time
	Reason Reason        // EventDestroyed
	Err    error         // EventCreateFailed, EventOutage, EventDestroyed (destroy error)
	Age    time.Duration // age of the connection (EventDestroyed, EventLeak...)
	Held   time.Duration // how long the lease was held (EventLeak, EventLeakReturned)
	Stack  string        // where the lease was acquired (EventLeak, EventUnreleased; LeakThreshold > 0)
}

// Observer receives a pool's events. Observe is never called with a pool
// lock held, but may be called concurrently from several goroutines.
type Observer interface{ Observe(Event) }

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

func (p *core[T]) emit(e Event) {
	if p.o.Observer == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	p.o.Observer.Observe(e)
}

// formatStack renders program counters as "function\n\tfile:line" lines.
func formatStack(pcs []uintptr) string {
	if len(pcs) == 0 {
		return ""
	}
	var b strings.Builder
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		b.WriteString(f.Function)
		b.WriteString("\n\t")
		b.WriteString(f.File)
		b.WriteByte(':')
		b.WriteString(itoa(f.Line))
		b.WriteByte('\n')
		if !more {
			return b.String()
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
