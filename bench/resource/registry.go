package resource

import (
	"fmt"
	"slices"
	"time"
)

// Priority is the cleanup priority used by the scenarios. Only the two ends
// matter for the measurements.
type Priority int

// The priorities the scenarios use.
const (
	Low Priority = iota
	Critical
)

// Registry is one implementation under measurement, reached through an
// adapter. A Registry is used by many goroutines at once in TrackRelease and
// by one goroutine otherwise.
type Registry interface {
	// TrackRelease tracks one small resource and releases it at once, both on
	// the caller's goroutine; the cleanup runs before it returns.
	TrackRelease() error
	// Prepare registers a resource whose cleanup is fn at priority p and
	// returns the function that queues that cleanup on the registry's
	// scheduler (the seed's schedule_cleanup, our ReleaseAsync).
	Prepare(p Priority, fn func()) (queue func() error, err error)
	// Hold registers a resource that stays live until Close, with a TTL and
	// an idle timeout far in the future where the implementation has them.
	Hold() error
	// Close shuts the registry down and waits for its goroutines.
	Close() error
}

// Impl names an implementation and builds fresh registries of it.
type Impl struct {
	Name string
	New  func() (Registry, error)
}

// Impls lists the implementations in the order tables show them: the seed
// first, then ours with leak detection off (the seed had none) and with the
// default sampled leak detection.
func Impls() []Impl {
	return []Impl{SeedImpl(), OursImpl(LeaksOff), OursImpl(LeaksDefault)}
}

// LeakMode selects our registry's leak detection for an Impl.
type LeakMode int

// The leak modes measured.
const (
	LeaksOff     LeakMode = iota // resource.LeaksOff
	LeaksDefault                 // the registry's default (resource.LeaksSampled)
)

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. It does not modify xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spin busy-waits for d without yielding the processor, standing for a
// cleanup that does d of CPU work.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

func closeErr(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: close: %w", name, err)
}
