package pool

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/resource"
)

// Options configures a Pool. A nil *Options means all defaults; a zero field
// means that field's default. New validates the options and reports the first
// bad field by name.
type Options[T any] struct {
	// MinIdle is how many idle connections the pool tries to keep ready
	// (refilled in the background after use or failures). Default 0.
	MinIdle int
	// MaxSize caps the connections open, being opened or being closed.
	// Default max(4, GOMAXPROCS).
	MaxSize int

	// MaxLifetime is how long a connection lives after its creation; it is
	// destroyed when found expired (when idle, when released, or back from
	// a background check). Default 0: no limit.
	MaxLifetime time.Duration
	// LifetimeJitter adds a random extra lifetime in [0, LifetimeJitter),
	// fixed per connection at its creation, so connections created together
	// do not all expire together. Requires MaxLifetime.
	LifetimeJitter time.Duration
	// MaxIdleTime destroys a connection that stayed idle this long. Default
	// 0: no limit.
	MaxIdleTime time.Duration

	// Check validates a connection (a ping). A failed Check destroys the
	// connection (reason Unhealthy) and marks an outage. Default nil: no
	// checks.
	Check func(ctx context.Context, v T) error
	// CheckIdleAfter makes Acquire check a connection only if it was idle
	// longer than this and not checked (by CheckInterval) meanwhile. Zero
	// (the default) checks on every acquire; a negative value never checks
	// on acquire (only CheckInterval and the post-outage validation do).
	CheckIdleAfter time.Duration
	// CheckInterval checks idle connections in the background when they were
	// not checked for this long. A check is not a use: it does not restart
	// MaxIdleTime. Default 0: no background checks.
	CheckInterval time.Duration
	// CheckTimeout bounds Check and Reset. Default 0: no bound other than
	// the context (the acquire's for a Check on acquire); a background
	// check is bounded by CheckInterval then, so that a stalled one (a
	// half-open connection) fails instead of holding up the sweep. A sweep
	// starts no check once CheckInterval has passed since it began.
	CheckTimeout time.Duration
	// Reset recycles a connection on Release; an error destroys it (reason
	// ResetFailed). Default nil.
	Reset func(ctx context.Context, v T) error

	// CreateTimeout bounds each call of create. Creates run on a background
	// goroutine so that a cancelled Acquire never abandons one half-way.
	// Default 0: bounded only by Close.
	CreateTimeout time.Duration
	// CreateBackoff is the first delay before retrying after a failed
	// create; it doubles per consecutive failure, with jitter (each delay is
	// drawn from [d/2, d)). Default 100ms.
	CreateBackoff time.Duration
	// MaxCreateBackoff caps the delay between creates while they fail.
	// Default 10s.
	MaxCreateBackoff time.Duration

	// LeakThreshold reports a lease held longer than this (event EventLeak,
	// with the stack of its Acquire) and, if it comes back, EventLeakReturned.
	// Default 0: off (and no stacks are captured).
	LeakThreshold time.Duration

	// Registry, when set, tracks the pool and each live connection (which
	// depends on the pool) so that Registry.Shutdown closes connections
	// before the pool.
	Registry *resource.Registry
	// Priority is the registry priority of the pool and its connections.
	// The zero value is resource.Low.
	Priority resource.Priority
	// Kind is the registry kind of the pool; connections get Kind+"-conn".
	// Default "pool".
	Kind string

	// Pressure, when set, makes the pool trim its idle connections down to
	// MinIdle (reason Trimmed) whenever the monitor reports High or
	// Critical memory pressure, and at Critical keeps the pool from growing
	// past the size left after the trim (Acquire waits for a connection
	// instead of creating one) until the level drops.
	Pressure *pressure.Monitor

	// Observer receives the pool's events. It is never called with a lock
	// held, but may be called from any goroutine, concurrently.
	Observer Observer
}

func (o *Options[T]) withDefaults() (Options[T], error) {
	var v Options[T]
	if o != nil {
		v = *o
	}
	if v.MaxSize == 0 {
		v.MaxSize = max(4, runtime.GOMAXPROCS(0))
	}
	if v.CreateBackoff == 0 {
		v.CreateBackoff = 100 * time.Millisecond
	}
	if v.MaxCreateBackoff == 0 {
		v.MaxCreateBackoff = max(10*time.Second, v.CreateBackoff)
	}
	if v.Kind == "" {
		v.Kind = "pool"
	}
	return v, v.validate()
}

func (o *Options[T]) validate() error {
	positive := []struct {
		name string
		v    time.Duration
	}{
		{"MaxLifetime", o.MaxLifetime}, {"LifetimeJitter", o.LifetimeJitter},
		{"MaxIdleTime", o.MaxIdleTime}, {"CheckInterval", o.CheckInterval},
		{"CheckTimeout", o.CheckTimeout}, {"CreateTimeout", o.CreateTimeout},
		{"CreateBackoff", o.CreateBackoff}, {"MaxCreateBackoff", o.MaxCreateBackoff},
		{"LeakThreshold", o.LeakThreshold},
	}
	for _, f := range positive {
		if f.v < 0 {
			return fmt.Errorf("pool: Options.%s must be >= 0, got %v", f.name, f.v)
		}
	}
	switch {
	case o.MaxSize < 0:
		return fmt.Errorf("pool: Options.MaxSize must be > 0, got %d", o.MaxSize)
	case o.MinIdle < 0:
		return fmt.Errorf("pool: Options.MinIdle must be >= 0, got %d", o.MinIdle)
	case o.MinIdle > o.MaxSize:
		return fmt.Errorf("pool: Options.MinIdle must be <= MaxSize (%d), got %d", o.MaxSize, o.MinIdle)
	case o.LifetimeJitter > 0 && o.MaxLifetime == 0:
		return fmt.Errorf("pool: Options.LifetimeJitter needs MaxLifetime, got jitter %v and no lifetime", o.LifetimeJitter)
	case o.MaxCreateBackoff < o.CreateBackoff:
		return fmt.Errorf("pool: Options.MaxCreateBackoff must be >= CreateBackoff (%v), got %v", o.CreateBackoff, o.MaxCreateBackoff)
	case o.CheckInterval > 0 && o.Check == nil:
		return fmt.Errorf("pool: Options.CheckInterval needs Options.Check, got interval %v and no Check", o.CheckInterval)
	case o.Priority < resource.Low || o.Priority > resource.Critical:
		return fmt.Errorf("pool: Options.Priority must be in [Low, Critical], got %d", o.Priority)
	}
	return nil
}

// tick is the period of the maintenance goroutine, or 0 when no option
// needs one.
func (o *Options[T]) tick() time.Duration {
	var d time.Duration
	for _, v := range []time.Duration{o.MaxLifetime, o.MaxIdleTime, o.CheckInterval, o.LeakThreshold} {
		if v > 0 && (d == 0 || v < d) {
			d = v
		}
	}
	if d == 0 {
		return 0
	}
	return max(d/2, time.Millisecond)
}
