package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/patinox/memory/resource"
)

func init() { register(10, func() component { return &fleet{} }) }

// Kinds of the resources the fleet tracks.
const (
	kindFile    = "tempfile"
	kindConn    = "fake-conn"
	kindSession = "agent-session"
)

// maxHeld bounds how many resources one agent holds at once.
const maxHeld = 8

// fleet is the resource component: every agent owns a session (a Critical
// resource that its connections depend on) and opens temp files and
// in-process connections (net.Pipe) with random lifetimes and faults. It
// checks, from the resources' side, what the registry promises: each
// resource is closed exactly once, no session is released before its
// connections, every deliberately leaked guard is reported.
type fleet struct {
	env    *env
	agents []agentState // indexed by agent; each slot used by one goroutine at a time
	c      fleetCounters

	firstUnexpected atomic.Pointer[resource.Event]
}

type agentState struct {
	session   resource.ID
	openConns atomic.Int64 // tracked connections of this agent not yet closed
	held      []*held
}

// fleetCounters are the fleet's own observations, independent of the
// registry's Stats.
type fleetCounters struct {
	files, conns, sessions atomic.Int64 // opened and tracked
	byAgentSync            atomic.Int64 // agent called Release
	byAgentAsync           atomic.Int64 // agent called ReleaseAsync
	withTTL, withIdle      atomic.Int64 // lifetimes left to the registry
	detached               atomic.Int64 // agent detached and closed itself
	leaked                 atomic.Int64 // guards dropped on purpose
	leakedSeen             atomic.Int64 // Leaked events for the fleet's kinds
	closed                 atomic.Int64 // files and conns really closed
	doubleClose            atomic.Int64 // a second close of the same resource: must stay 0
	orderViolation         atomic.Int64 // a session released before its conns: must stay 0
	transient, fallback    atomic.Int64 // injected faults
	panics, fatal          atomic.Int64
	unexpected             atomic.Int64 // failures for good that no fatal fault explains: must stay 0
}

func (f *fleet) name() string { return "resource fleet" }

func (f *fleet) start(ctx context.Context, e *env) error {
	f.env = e
	f.agents = make([]agentState, e.agents)
	e.onEvent(f.observe)
	for i := range f.agents {
		id, err := f.openSession(i)
		if err != nil {
			return err
		}
		f.agents[i].session = id
	}
	return nil
}

// observe counts the leak reports and the unexpected failures of the
// fleet's resources.
func (f *fleet) observe(ev resource.Event) {
	if ev.Kind != kindFile && ev.Kind != kindConn && ev.Kind != kindSession {
		return
	}
	switch {
	case ev.Type == resource.Leaked:
		f.c.leakedSeen.Add(1)
	case ev.Type == resource.GaveUp && !errors.Is(ev.Err, errEIO):
		if f.c.unexpected.Add(1) == 1 {
			f.firstUnexpected.Store(&ev)
		}
	}
}

// openSession registers agent i's session: a Critical resource whose cleanup
// checks that every tracked connection of the agent was closed first
// (Shutdown releases dependents before what they depend on).
func (f *fleet) openSession(i int) (resource.ID, error) {
	a := &f.agents[i]
	id, err := f.env.registry.Register(func(context.Context) error {
		if n := a.openConns.Load(); n != 0 {
			f.c.orderViolation.Add(1)
			return resource.Classify(fmt.Errorf("agent %d session released before its %d connections", i, n), resource.Fail)
		}
		return nil
	}, resource.WithKind(kindSession), resource.WithPriority(resource.Critical))
	if err == nil {
		f.c.sessions.Add(1)
	}
	return id, err
}

func (f *fleet) step(ctx context.Context, agent int, rng *rand.Rand) error {
	a := &f.agents[agent]
	errs := f.tend(ctx, a)
	if len(a.held) < maxHeld {
		h, err := f.open(agent, rng)
		if err != nil {
			errs = errors.Join(errs, err)
		} else if h != nil {
			a.held = append(a.held, h)
		}
	}
	return errs
}

// tend acts on the agent's held resources that are due and forgets those
// the registry already released (expired).
func (f *fleet) tend(ctx context.Context, a *agentState) error {
	now := time.Now()
	kept := a.held[:0]
	var errs error
	for _, h := range a.held {
		done, err := f.act(ctx, h, now)
		errs = errors.Join(errs, err)
		if !done {
			kept = append(kept, h)
		}
	}
	clear(a.held[len(kept):])
	a.held = kept
	return errs
}

// act does what h's plan says once it is due; done reports that the agent
// can forget h.
func (f *fleet) act(ctx context.Context, h *held, now time.Time) (done bool, err error) {
	if h.plan.life == lifeIdle && now.Before(h.touchUntil) {
		h.g.Touch()
	}
	if now.Before(h.due) {
		return false, nil
	}
	switch h.plan.life {
	case lifeRelease:
		f.c.byAgentSync.Add(1)
		// Not ctx: it ends with the run, and a Release whose context ends
		// during a retry's backoff gives up for good.
		if err := h.g.Release(context.WithoutCancel(ctx)); err != nil && !isInjected(err) {
			return true, err
		}
		return true, nil
	case lifeReleaseAsync:
		f.c.byAgentAsync.Add(1)
		h.g.ReleaseAsync()
		return true, nil
	case lifeDetach:
		f.c.detached.Add(1)
		return true, h.detach()
	}
	// lifeTTL, lifeIdle: the registry expires it; forget it once it is gone.
	_, live := f.env.registry.Info(h.g.ID())
	return !live, nil
}

// isInjected reports whether a synchronous Release failed because of a fault
// the fleet injected on purpose (those are counted by the registry).
func isInjected(err error) bool {
	var ce *resource.CleanupError
	return errors.As(err, &ce)
}

func (f *fleet) stop(ctx context.Context) error {
	// Give the leak detector the chance to report every guard dropped on
	// purpose: collect garbage until it has, or for up to 5 seconds. The
	// guards still held by agents stay for Shutdown to release.
	deadline := time.Now().Add(5 * time.Second)
	for f.c.leakedSeen.Load() < f.c.leaked.Load() && time.Now().Before(deadline) {
		runtime.GC()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func (f *fleet) progress() string {
	return fmt.Sprintf("files=%d conns=%d closed=%d leaked=%d/%d",
		f.c.files.Load(), f.c.conns.Load(), f.c.closed.Load(), f.c.leakedSeen.Load(), f.c.leaked.Load())
}

func (f *fleet) summary() []row {
	c := &f.c
	opened := c.files.Load() + c.conns.Load()
	rows := []row{
		{label: "temp files opened", value: fmt.Sprint(c.files.Load())},
		{label: "connections opened", value: fmt.Sprint(c.conns.Load())},
		{label: "agent sessions", value: fmt.Sprint(c.sessions.Load())},
		{label: "released by agents (sync / async)", value: fmt.Sprintf("%d / %d", c.byAgentSync.Load(), c.byAgentAsync.Load())},
		{label: "left to TTL / idle timeout", value: fmt.Sprintf("%d / %d", c.withTTL.Load(), c.withIdle.Load())},
		{label: "detached and closed by agents", value: fmt.Sprint(c.detached.Load())},
		{label: "faults injected: transient / fallback / panic / fatal", value: fmt.Sprintf("%d / %d / %d / %d",
			c.transient.Load(), c.fallback.Load(), c.panics.Load(), c.fatal.Load())},
		{
			label: "guards leaked on purpose / reported by the leak detector",
			value: fmt.Sprintf("%d / %d", c.leaked.Load(), c.leakedSeen.Load()),
			bad:   c.leakedSeen.Load() != c.leaked.Load(),
		},
	}
	closed := c.closed.Load()
	rows = append(rows,
		row{label: "files and connections really closed", value: fmt.Sprintf("%d of %d", closed, opened), bad: closed != opened},
		row{label: "closed twice (must be 0)", value: fmt.Sprint(c.doubleClose.Load()), bad: c.doubleClose.Load() != 0},
		row{label: "failed for good without an injected fatal fault (must be 0)", value: f.describeUnexpected(), bad: c.unexpected.Load() != 0},
		row{label: "sessions released before their connections (must be 0)", value: fmt.Sprint(c.orderViolation.Load()), bad: c.orderViolation.Load() != 0},
	)
	return rows
}

func (f *fleet) describeUnexpected() string {
	n := f.c.unexpected.Load()
	ev := f.firstUnexpected.Load()
	if n == 0 || ev == nil {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d, first: %v", n, ev.Err)
}
