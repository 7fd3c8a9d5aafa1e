// Package resource gives Go values a destructor you can trust: a Registry
// tracks every resource that is not plain memory (connections, temp files,
// mappings), runs each cleanup exactly once, detects leaked guards, expires
// resources by TTL or idleness, frees memory on demand, and shuts down in
// dependency and priority order without losing anything silently.
//
// # Tracking
//
// Track registers a typed value with its cleanup and returns a *Guard;
// Register does the same for a bare cleanup function and returns an ID.
//
//	g, err := resource.Track(r, conn, func(ctx context.Context, c *Conn) error { return c.Close() },
//		resource.WithKind("llm-conn"), resource.WithPriority(resource.High))
//	if err != nil { ... }
//	defer g.Close()
//
// A cleanup runs at most once, whatever races for it: Release (on the
// caller's goroutine), ReleaseAsync (on the scheduler), a TTL or idle
// timeout, Reclaim, ReleaseMatching, the leak safety net, or Shutdown. One
// atomic state transition per resource picks the single winner. Losing
// Release, ReleaseAsync and Detach calls return an error matching
// ErrReleased immediately (they do not wait for the winner's result);
// losing timers, Reclaim, ReleaseMatching and the leak detector skip the
// resource; Shutdown waits for the winner to finish. Detach removes a
// resource without running its cleanup.
//
// # Scheduler
//
// Queued cleanups run on at most Options.Workers goroutines, started on
// demand and gone when there is nothing to do (an idle registry has no
// goroutine and no timer). There is one FIFO lane per Priority and a
// higher lane is always served first. Each attempt runs under a context
// bounded by Options.CleanupTimeout (or WithCleanupTimeout). A panic is
// recovered into a *PanicError. What happens after a failed attempt is
// decided by StrategyOf(err): Retry (exponential backoff with jitter on the
// registry's timer heap, so no worker sleeps; up to Options.MaxAttempts,
// then the fallback if any), Fallback (run WithFallback once) or Fail.
// Unclassified errors are Retry; a panic is Fallback. A cleanup that fails
// for good becomes a *CleanupError, returned to a synchronous releaser and
// kept in Failures (bounded: the last Options.FailureHistory, all counted
// in Stats) and sent in a GaveUp event. A cleanup that keeps state across
// attempts learns from AttemptFrom(ctx) which attempt it runs and whether
// a retry would follow a failure (the pool keeps a connection's slot until
// its close really ends).
//
// # Dependencies
//
// DependsOn(ids...) declares that a resource uses others: it is always
// released before them. Releasing a resource that others depend on releases
// those dependents first (Release does it on the caller's goroutine; the
// scheduler keeps the resource waiting until they have finished).
//
// # Time
//
// WithTTL and WithIdleTimeout release a resource (as Expired) when due.
// All timers live in one min-heap driven by a single time.Timer; Touch is
// one atomic store and the heap re-checks the idle time when it fires.
//
// # Leaks
//
// With LeaksSampled (the default) or LeaksAll, a Guard that becomes
// unreachable while still live is detected through runtime.AddCleanup: a
// Leaked event reports its kind, age and (for sampled guards) creation
// stack, identical reports are counted rather than repeated (LeakReports),
// and the cleanup still runs on the registry's workers. resourcetest.VerifyNone
// fails a test that leaves resources live.
//
// The runtime cleanup's argument is the registry's entry, which holds the
// value so that the cleanup can run after the Guard is gone. However the
// resource ends, the registry cancels that runtime cleanup, so a released
// value may point back to its Guard (a wrapper that releases itself). A
// value that points to its Guard and is never released, though, keeps the
// Guard reachable from the runtime cleanup: that leak is neither collected
// nor reported (the rule of runtime.AddCleanup); Stats().Live and
// resourcetest.VerifyNone still show it.
//
// # Shutdown
//
// Shutdown refuses new resources, releases everything (dependents first,
// then Critical to Low and, within a priority, in registration order, in
// parallel up to the worker bound), runs pending retries at once, waits for
// in-flight cleanups and returns a *ShutdownError naming what failed or did
// not finish before its context ended.
//
// # Observability
//
// An Observer receives every Event synchronously on the goroutine where it
// happens, never under a lock; SlogObserver logs them. A resource's
// Registered event is delivered before any other event of it (see
// Observer). Stats and Health
// return value snapshots (counters, queue depths, cleanup latency
// percentiles).
//
// # Cost
//
// Track plus Release is one allocation with LeaksOff (the 80-byte Guard,
// which holds the value, the cleanup and its attempt context; the
// registry's entry is recycled through a per-shard free list, see
// recycle.go) and four with leak detection (runtime.AddCleanup accounts for
// two), two clock reads, and two uncontended lock round trips on a shard of
// the live table. Shards are picked by the address of the new Guard, so
// goroutines on different Ps rarely share one; no global lock or counter is
// on this path. BenchmarkTrackRelease and BenchmarkBaseline (the runtime
// operations it is built from, for proportion) measure it.
//
// Sizes can change while a resource lives (SetSize: a mapping that grew);
// Reclaim and the pressure reaction weigh resources by their latest size;
// a Reclaimable resource of size 0 is released only when everything is
// (Reclaim(ctx, 0), pressure at Critical), never to meet a byte target.
//
// After a burst the registry gives its own memory back (slot arrays, free
// lists, timer heap, queues): each structure shrinks once it has gone a
// window of removals as long as its capacity using under a quarter of it,
// so bursts that recur keep their memory and are not reallocated every
// time; memory pressure at High or Critical (Options.Pressure) shrinks them
// at once. BenchmarkBurstRetained measures what stays.
//
// # Caveats
//
//   - Keep a Guard reachable while you use its Value. The leak detector
//     cannot tell "unreachable" from "done with": code that keeps only the
//     value may see it cleaned up underneath it. Hold the Guard or defer its
//     Close.
//   - With LeaksOff the registry holds the Guard, so nothing is ever
//     detected as leaked: a forgotten Guard stays live until Shutdown.
//   - A tracked value (or its cleanup closure) that references its own
//     Guard keeps the Guard reachable from the registry: that Guard can
//     never be detected as leaked. Resources made with Register have no
//     Guard and are not watched at all.
//   - Leak detection depends on the garbage collector: a leak is reported
//     only after a GC cycle finds the Guard unreachable, possibly much later.
//   - Go cannot stop a goroutine: a cleanup that ignores its context and
//     never returns keeps its worker (or caller) forever. The timeout only
//     cancels the context. Shutdown then reports it as unfinished.
//   - Observers run synchronously; a slow Observer slows the goroutine that
//     emits (a releaser or a worker), and holds back what its event must
//     precede: a new resource cannot be claimed until its Registered event
//     returns. An Observer must not call Shutdown, nor wait for it to
//     return: Shutdown waits for the events of releases under way, so that
//     ShutdownDone comes last (unless its context ends first; then a
//     cleanup still running may report later). End events of different
//     resources are not ordered (see Observer).
//   - Stats is O(live resources); Len, Info and the hot paths are not.
//   - A resource queued when Shutdown's context ends is never cleaned up,
//     nor are the resources it depends on; they are listed in the
//     *ShutdownError, and a Release waiting for one of them returns an
//     error matching ErrShuttingDown.
//   - Reclaim does not call a ReclaimWith function once the resource's
//     release has begun, but a release that begins while it runs does not
//     wait for it: the two may overlap.
//   - Calling Release from inside a cleanup is allowed, but a cleanup that
//     waits for another queued cleanup can deadlock a registry with one
//     worker, and a cleanup that calls Release (or Shutdown) for a resource
//     it is a dependent of waits for itself: Release waits for the
//     dependents first (use ReleaseAsync there, or a ctx with a deadline).
//     A cleanup that calls runtime.Goexit (t.FailNow) is recorded
//     as failed and its worker replaced; a Release running it never
//     returns, like any call of Goexit.
//   - Reading the system clock costs as much as the rest of a Track on some
//     machines, so the hot path reads a coarse clock (one timer tick, 1 ms,
//     behind; the timer runs only while the registry is in use): a resource
//     without a TTL or idle timeout has a Created time up to a tick early,
//     and an attempt with a timeout of a second or
//     more may get a deadline up to a tick early, never late. Resources
//     with a TTL or idle timeout, Touch, shorter timeouts and latency
//     samples use the system clock.
//   - IDs are not ordered by registration time across goroutines, and one
//     shard holds at most 16M live resources.
//   - If a resource is registered with DependsOn while a resource it
//     depends on is being released, registration fails with ErrReleased
//     (with ErrShuttingDown if Shutdown began). In the rare race where a
//     releaser claims the new resource in the instant between its linking
//     and that check, registration succeeds instead and the resource is
//     released right away, still before what it depends on: its cleanup is
//     never lost, run twice or run out of order.
package resource
