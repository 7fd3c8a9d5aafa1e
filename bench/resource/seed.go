package resource

import (
	"errors"
	"time"

	"github.com/patinox/memory/bench/internal/seed"
)

// SeedImpl is the seed's design (package seed).
func SeedImpl() Impl {
	return Impl{Name: "seed", New: func() (Registry, error) { return newSeedRegistry(), nil }}
}

// seedRegistry adapts seed.Registry. TrackRelease does what a seed user had
// to do by hand, since the seed's guard and registry were not connected:
// build a guard, register it, run its cleanup, unregister it.
type seedRegistry struct {
	r *seed.Registry
}

func newSeedRegistry() *seedRegistry { return &seedRegistry{r: seed.NewRegistry()} }

var errSeedNotRegistered = errors.New("seed: resource vanished from the registry")

func (s *seedRegistry) TrackRelease() error {
	g := seed.NewGuard(benchValue{fd: 3, gen: 1}, closeBenchValue)
	err := s.r.Register(g.ID(), seed.Info{TypeName: "bench", CreatedAt: time.Now(), SizeBytes: 64})
	if err != nil {
		return err
	}
	if err := g.Cleanup(); err != nil {
		return err
	}
	if _, ok := s.r.Unregister(g.ID()); !ok {
		return errSeedNotRegistered
	}
	return nil
}

func (s *seedRegistry) Prepare(p Priority, fn func()) (func() error, error) {
	g := seed.NewGuard(fn, func(f func()) error { f(); return nil })
	if err := s.r.Register(g.ID(), seed.Info{TypeName: "work", CreatedAt: time.Now()}); err != nil {
		return nil, err
	}
	req := seed.Request{ID: g.ID(), Cleanup: g.Cleanup, Priority: seedPriority(p)}
	return func() error {
		if !s.r.ScheduleCleanup(req) {
			return seed.ErrShuttingDown
		}
		return nil
	}, nil
}

func (s *seedRegistry) Hold() error {
	return s.r.Register(seed.GenerateID(), seed.Info{TypeName: "held", CreatedAt: time.Now()})
}

// Close drops the registry: the worker runs what is still queued and exits.
func (s *seedRegistry) Close() error {
	s.r.Close()
	return nil
}

// idleWakeups reports the seed worker's poll timeouts so far.
func (s *seedRegistry) idleWakeups() uint64 { return s.r.IdleWakeups() }

func seedPriority(p Priority) seed.Priority {
	if p == Critical {
		return seed.Critical
	}
	return seed.Low
}

// benchValue is the tracked value of the throughput benchmark: a small
// pointer-free struct, as a handle or descriptor would be.
type benchValue struct{ fd, gen int64 }

var errBadValue = errors.New("bench/resource: cleanup got a zero value")

// closeBenchValue is the cleanup of the throughput benchmark: it only checks
// that it was handed the tracked value.
func closeBenchValue(v benchValue) error {
	if v.fd == 0 || v.gen == 0 {
		return errBadValue
	}
	return nil
}
