package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/patinox/memory/resource"
)

// life is who ends a resource and how.
type life int

const (
	lifeRelease      life = iota // the agent calls Release (synchronous)
	lifeReleaseAsync             // the agent calls ReleaseAsync (the scheduler runs it)
	lifeDetach                   // the agent detaches it and closes it itself
	lifeTTL                      // the registry expires it (WithTTL)
	lifeIdle                     // the registry expires it once the agent stops touching it
	lifeLeak                     // the agent drops the guard: the leak detector must find it
)

// fault is what the resource's cleanup does wrong.
type fault int

const (
	faultNone      fault = iota
	faultTransient       // fails 1 or 2 times with an unclassified (Retry) error, then succeeds
	faultFallback        // fails with a Fallback error; the fallback closes the resource
	faultPanic           // panics; the fallback closes the resource
	faultFatal           // closes the resource but reports an error classified Fail
)

// plan is one resource's random fate.
type plan struct {
	life     life
	fault    fault
	failures int64         // faultTransient: failing attempts before success
	hold     time.Duration // how long the agent keeps it, or its TTL / idle timeout
	touch    time.Duration // lifeIdle: how long the agent keeps touching it
	prio     resource.Priority
}

func drawPlan(rng *rand.Rand) plan {
	p := plan{prio: resource.Priority(rng.IntN(3))} // Low, Normal or High
	switch n := rng.IntN(100); {
	case n < 40:
		p.life = lifeRelease
	case n < 65:
		p.life = lifeReleaseAsync
	case n < 70:
		p.life = lifeDetach
	case n < 84:
		p.life = lifeTTL
	case n < 96:
		p.life = lifeIdle
	default:
		p.life = lifeLeak
	}
	p.hold = 5*time.Millisecond + randDur(rng, 200*time.Millisecond)
	p.touch = randDur(rng, 150*time.Millisecond)
	if p.life == lifeDetach {
		return p // its cleanup never runs
	}
	switch n := rng.IntN(100); {
	case n < 10:
		p.fault, p.failures = faultTransient, 1+rng.Int64N(2)
	case n < 14:
		p.fault = faultFallback
	case n < 17:
		p.fault = faultPanic
	case n < 19:
		p.fault = faultFatal
	}
	return p
}

// guard is what an agent needs of a *resource.Guard[T], whatever T.
type guard interface {
	ID() resource.ID
	Release(context.Context) error
	ReleaseAsync()
	Touch()
}

// held is a resource an agent still holds.
type held struct {
	g          guard
	plan       plan
	due        time.Time    // when the agent acts on it
	touchUntil time.Time    // lifeIdle: last Touch
	detach     func() error // lifeDetach: detach, then close by hand
}

// closer is a tracked value of the fleet.
type closer interface {
	close() error
	attempt() int64 // counts calls of the main cleanup
}

// open opens a temp file (3 in 10) or a connection with a random plan. It
// returns nil, nil for a resource leaked on purpose.
func (f *fleet) open(agent int, rng *rand.Rand) (*held, error) {
	p := drawPlan(rng)
	if rng.IntN(10) < 3 {
		return f.openFile(p, rng)
	}
	return f.openConn(agent, p)
}

func (f *fleet) openFile(p plan, rng *rand.Rand) (*held, error) {
	file, err := os.CreateTemp(f.env.dir, "agent-*.tmp")
	if err != nil {
		return nil, err
	}
	size := 1 + rng.IntN(4096)
	v := &trackedFile{file: file, fleet: f}
	if _, err := file.Write(make([]byte, size)); err != nil {
		return nil, errors.Join(err, f.discard(v))
	}
	opts := f.options(kindFile, p, int64(size), v)
	g, err := resource.Track(f.env.registry, v, cleanupFor[*trackedFile](p), opts...)
	if err != nil {
		return nil, errors.Join(err, f.discard(v))
	}
	f.c.files.Add(1)
	return holdGuard(g, p), nil
}

func (f *fleet) openConn(agent int, p plan) (*held, error) {
	a := &f.agents[agent]
	c1, c2 := net.Pipe()
	v := &trackedConn{local: c1, remote: c2, agent: a, fleet: f}
	opts := f.options(kindConn, p, 4096, v)
	opts = append(opts, resource.DependsOn(a.session))
	a.openConns.Add(1)
	g, err := resource.Track(f.env.registry, v, cleanupFor[*trackedConn](p), opts...)
	if err != nil {
		return nil, errors.Join(err, f.discard(v))
	}
	f.c.conns.Add(1)
	return holdGuard(g, p), nil
}

// options turns a plan into resource options and counts what it injects.
func (f *fleet) options(kind string, p plan, size int64, v closer) []resource.Option {
	opts := []resource.Option{resource.WithKind(kind), resource.WithSize(size), resource.WithPriority(p.prio)}
	switch p.life {
	case lifeTTL:
		f.c.withTTL.Add(1)
		opts = append(opts, resource.WithTTL(p.hold))
	case lifeIdle:
		f.c.withIdle.Add(1)
		opts = append(opts, resource.WithIdleTimeout(p.hold))
	case lifeLeak:
		f.c.leaked.Add(1)
	}
	switch p.fault {
	case faultTransient:
		f.c.transient.Add(1)
	case faultFallback, faultPanic:
		if p.fault == faultPanic {
			f.c.panics.Add(1)
		} else {
			f.c.fallback.Add(1)
		}
		opts = append(opts, resource.WithFallback(func(context.Context) error { return v.close() }))
	case faultFatal:
		f.c.fatal.Add(1)
	}
	return opts
}

// holdGuard returns what the agent keeps of g, or nil when the plan is to leak
// it: then nothing references the guard any more.
func holdGuard[T closer](g *resource.Guard[T], p plan) *held {
	if p.life == lifeLeak {
		return nil
	}
	now := time.Now()
	h := &held{g: g, plan: p, due: now.Add(p.hold)}
	switch p.life {
	case lifeIdle:
		h.touchUntil = now.Add(p.touch)
		h.due = h.touchUntil.Add(p.hold)
	case lifeDetach:
		h.detach = func() error {
			v, err := g.Detach()
			if err != nil {
				return err
			}
			return v.close()
		}
	}
	return h
}

// discard closes a value that never became tracked, so the "really closed"
// count keeps matching the tracked count.
func (f *fleet) discard(v closer) error {
	err := v.close()
	f.c.closed.Add(-1)
	return err
}

// Errors the injected faults return.
var (
	errBusy   = errors.New("fake: server busy")
	errBroken = errors.New("fake: connection broken")
	errEIO    = errors.New("fake: close reported EIO")
)

// cleanupFor returns the cleanup of a resource with plan p.
func cleanupFor[T closer](p plan) func(context.Context, T) error {
	return func(_ context.Context, v T) error {
		n := v.attempt()
		switch p.fault {
		case faultTransient:
			if n <= p.failures {
				return fmt.Errorf("attempt %d: %w", n, errBusy)
			}
		case faultFallback:
			return resource.Classify(errBroken, resource.Fallback)
		case faultPanic:
			panic("fake driver bug in close")
		case faultFatal:
			return resource.Classify(errors.Join(errEIO, v.close()), resource.Fail)
		}
		return v.close()
	}
}

// trackedFile is a real temp file; closing it also removes it.
type trackedFile struct {
	file     *os.File
	fleet    *fleet
	attempts atomic.Int64
	closed   atomic.Bool
}

func (t *trackedFile) attempt() int64 { return t.attempts.Add(1) }

func (t *trackedFile) close() error {
	if !t.closed.CompareAndSwap(false, true) {
		t.fleet.c.doubleClose.Add(1)
		return fmt.Errorf("%s closed twice", t.file.Name())
	}
	t.fleet.c.closed.Add(1)
	return errors.Join(t.file.Close(), os.Remove(t.file.Name()))
}

// trackedConn is an in-process connection (both ends of a net.Pipe).
type trackedConn struct {
	local, remote net.Conn
	agent         *agentState
	fleet         *fleet
	attempts      atomic.Int64
	closed        atomic.Bool
}

func (t *trackedConn) attempt() int64 { return t.attempts.Add(1) }

func (t *trackedConn) close() error {
	if !t.closed.CompareAndSwap(false, true) {
		t.fleet.c.doubleClose.Add(1)
		return errors.New("connection closed twice")
	}
	t.agent.openConns.Add(-1)
	t.fleet.c.closed.Add(1)
	return errors.Join(t.local.Close(), t.remote.Close())
}

// randDur returns a random duration in [0, d).
func randDur(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(rng.Int64N(int64(d)))
}
