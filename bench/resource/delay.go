package resource

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// DelayConfig describes the critical-delay scenario. The zero value is the
// scenario of issue 2: 100 000 Low cleanups of 10 µs of busy work each.
type DelayConfig struct {
	Burst   int           // Low cleanups queued before the Critical one; 0 means 100 000
	Work    time.Duration // busy-wait of each Low cleanup; 0 means 10 µs
	Timeout time.Duration // how long to wait for every cleanup to run; 0 means 5 minutes

	// Do, when set, replaces the busy-wait as each Low cleanup's work (tests
	// use it to simulate the work under testing/synctest).
	Do func()
}

func (c DelayConfig) withDefaults() DelayConfig {
	if c.Burst <= 0 {
		c.Burst = 100_000
	}
	if c.Work <= 0 {
		c.Work = 10 * time.Microsecond
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.Do == nil {
		w := c.Work
		c.Do = func() { spin(w) }
	}
	return c
}

// DelayResult is the outcome of one critical-delay run.
type DelayResult struct {
	// Delay is the time from queueing the Critical cleanup to its start.
	Delay time.Duration
	// Drain is the time from queueing the Critical cleanup until the last
	// cleanup of the scenario finished.
	Drain time.Duration
}

// ErrLostCleanups reports that a scenario's cleanups did not all run before
// its timeout.
var ErrLostCleanups = errors.New("bench/resource: not every cleanup ran")

// CriticalDelay runs the critical-delay scenario once on a fresh registry of
// impl: it registers cfg.Burst Low resources and one Critical resource, queues
// the Low cleanups, then queues the Critical one and measures how long it
// waits to start. It returns once every cleanup has run and the registry is
// closed.
func CriticalDelay(impl Impl, cfg DelayConfig) (DelayResult, error) {
	cfg = cfg.withDefaults()
	quiesce(10 * time.Second)
	r, err := impl.New()
	if err != nil {
		return DelayResult{}, err
	}
	res, err := criticalDelay(r, cfg)
	if cerr := r.Close(); err == nil {
		err = closeErr(impl.Name, cerr)
	}
	return res, err
}

func criticalDelay(r Registry, cfg DelayConfig) (DelayResult, error) {
	var ran, started, ended atomic.Int64
	total := int64(cfg.Burst) + 1
	done := make(chan struct{})
	finish := func() {
		if ran.Add(1) == total {
			ended.Store(time.Now().UnixNano())
			close(done)
		}
	}
	burst := make([]func() error, cfg.Burst)
	for i := range burst {
		q, err := r.Prepare(Low, func() { cfg.Do(); finish() })
		if err != nil {
			return DelayResult{}, err
		}
		burst[i] = q
	}
	critical, err := r.Prepare(Critical, func() { started.Store(time.Now().UnixNano()); finish() })
	if err != nil {
		return DelayResult{}, err
	}
	for _, q := range burst {
		if err := q(); err != nil {
			return DelayResult{}, err
		}
	}
	t0 := time.Now()
	if err := critical(); err != nil {
		return DelayResult{}, err
	}
	select {
	case <-done:
	case <-time.After(cfg.Timeout):
		return DelayResult{}, fmt.Errorf("%w: %d of %d after %v", ErrLostCleanups, ran.Load(), total, cfg.Timeout)
	}
	return DelayResult{
		Delay: time.Unix(0, started.Load()).Sub(t0),
		Drain: time.Unix(0, ended.Load()).Sub(t0),
	}, nil
}
