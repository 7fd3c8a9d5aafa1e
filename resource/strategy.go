package resource

import (
	"errors"
	"strconv"
)

// Strategy is what the scheduler does after a failed cleanup attempt.
type Strategy int

// Recovery strategies.
const (
	// Retry attempts the cleanup again after an exponential backoff with
	// jitter, up to Options.MaxAttempts attempts in all; when they are
	// exhausted the fallback runs if there is one, else the cleanup fails.
	Retry Strategy = iota + 1
	// Fallback runs the resource's WithFallback cleanup once; without one it
	// behaves like Fail.
	Fallback
	// Fail records the failure (Failures, Stats, a GaveUp event, the error
	// returned to a synchronous releaser) and finishes the resource.
	Fail
)

// String returns "retry", "fallback" or "fail".
func (s Strategy) String() string {
	switch s {
	case Retry:
		return "retry"
	case Fallback:
		return "fallback"
	case Fail:
		return "fail"
	}
	return "Strategy(" + strconv.Itoa(int(s)) + ")"
}

// StrategyOf classifies a cleanup error. The first error in err's chain
// with a `Strategy() Strategy` method decides (Classify attaches one; a
// *PanicError says Fallback). Unclassified errors, including an attempt's
// timeout, are Retry: most cleanup failures (a busy server, a lock, a
// timeout) are transient. StrategyOf(nil) is 0, which is no strategy.
func StrategyOf(err error) Strategy {
	if err == nil {
		return 0
	}
	var c interface{ Strategy() Strategy }
	if errors.As(err, &c) {
		if s := c.Strategy(); s >= Retry && s <= Fail {
			return s
		}
	}
	return Retry
}

// Classify returns an error that wraps err and classifies as s. It returns
// nil if err is nil.
func Classify(err error, s Strategy) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, s: s}
}

type classified struct {
	err error
	s   Strategy
}

func (c *classified) Error() string      { return c.err.Error() }
func (c *classified) Unwrap() error      { return c.err }
func (c *classified) Strategy() Strategy { return c.s }
