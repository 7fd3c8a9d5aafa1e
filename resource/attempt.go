package resource

import "context"

// attemptKey is the context key under which a cleanup's context (or one
// derived from it) yields its attempt (AttemptFrom).
type attemptKey struct{}

// AttemptFrom reports which attempt of a cleanup ctx belongs to (n counts
// from 1) and whether it is the final one: whether the registry will not
// run this cleanup again, whatever it returns. It is for a cleanup that
// keeps state across attempts, such as a pool that must keep counting a
// connection whose close failed until the retry closes it. ctx is the
// context the cleanup was given, or one derived from it.
//
// An attempt is final when it is the Options.MaxAttempts-th, when the
// context the release runs under has ended (the caller, or Shutdown, gave
// up), or when the call is the WithFallback cleanup. An attempt that is not
// final and fails with an error that StrategyOf classifies as Retry is
// retried: once AttemptFrom has reported false, the registry keeps that
// promise even if the release's context ends before the attempt returns
// (the retry then runs on the scheduler), unless a Shutdown whose context
// ended leaves the resource unfinished; later calls in the same attempt
// say false too. An error classified Fallback or Fail ends the cleanup
// whatever AttemptFrom said.
//
// For a context that is not a cleanup's, AttemptFrom returns 0 and true.
// Call it on the cleanup's goroutine, or on one that the cleanup waits for
// before it returns.
func AttemptFrom(ctx context.Context) (n int, final bool) {
	c, ok := ctx.(*attemptCtx)
	if !ok {
		if c, ok = ctx.Value(attemptKey{}).(*attemptCtx); !ok {
			return 0, true
		}
	}
	e := c.e
	n = int(e.attempts)
	if e.acFlags&acPromised != 0 { // asked before in this attempt: the same answer
		return n, false
	}
	if e.acFlags&acFallback != 0 || n >= e.reg.cfg.maxAttempts || c.parent.Err() != nil {
		return n, true
	}
	e.acFlags |= acPromised
	return n, false
}
