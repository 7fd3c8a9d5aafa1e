// Command patinox-mem demonstrates and inspects github.com/patinox/memory.
//
// Usage:
//
//	patinox-mem demo [--agents N] [--duration D] [--seed S] [--memlimit SIZE [--no-monitor]]
//	patinox-mem help
//
// The demo simulates a fleet of AI agents sharing one resource.Registry.
// Each agent owns a session (a Critical resource) and keeps opening tracked
// resources — real temporary files and in-process connections (net.Pipe)
// that depend on its session — with random lifetimes: released by the agent
// (synchronously or through the scheduler), expired by a TTL or an idle
// timeout, detached, or leaked on purpose (the guard is dropped and the leak
// detector must report it). Some cleanups fail transiently (the registry
// retries them), some fail in a way their fallback repairs, some panic, some
// fail for good. A progress line goes to stderr once a second.
//
// At the end the demo shuts the registry down and prints a table: resources
// registered, released, retried, released by fallback, failed for good,
// leaked, expired, detached, cleanup latency percentiles, and the fleet's
// own checks (every file and connection closed exactly once, no session
// released before its connections, no temp file left on disk). A cleanup
// still running 30s into the registry's Shutdown leaves its resource
// unaccounted for. The exit status is 0 when every resource is accounted
// for (the report then ends with "OK: every resource is accounted for and no
// temp file is left."), 1 when anything is not (the report ends with
// "FAILED: ...", repeated on stderr) or the demo could not run, 2 for a bad
// command line.
//
// Other parts of the library join the demo as components: see component.go.
//
// # Memory pressure (--memlimit)
//
// With --memlimit SIZE (for example 256MiB) the demo sets the Go memory
// limit (debug.SetMemoryLimit) and starts a pressure.Monitor (every 200ms)
// that it hands to the registry, the pool and the cache (their
// Options.Pressure). The cache then serves large responses (64 to 256 KiB,
// from a slower fake LLM, no TTL) and is bounded by weight at twice the
// limit, so the cache alone could outgrow it. A timeline on stderr shows,
// at every level change and every half second, the level, the memory the Go
// runtime holds against the limit, the cache's bound and size and the bytes
// the registry reclaimed; a "memory" table at the end shows the peak of
// used memory, the peak RSS (VmHWM), whether the limit was exceeded, the hit
// ratio, the evictions by pressure, the levels seen and the GC's work.
// --no-monitor runs the same workload under the same limit without the
// monitor, to show the process going over the limit. Without --memlimit the
// demo is unchanged.
//
// # Caveats
//
// The demo uses real time and real garbage collections (to let the leak
// detector see dropped guards), so its counts differ from run to run even
// with the same --seed; the seed fixes each agent's sequence of choices, not
// the scheduling. Failures for good are injected on purpose and reported;
// they do not make the exit status non-zero, only unaccounted resources do.
//
// With --memlimit the process's memory limit is changed for the run and
// restored afterwards. The limit is soft: going over it is reported, not a
// failure. Under pressure the monitor usually sits at Critical, since the GC
// lets garbage fill the heap up to the limit, and at Critical the registry
// reclaims every Reclaimable resource, cached responses included, so the
// cache loses most of its entries at each entry into Critical and refills
// under its reduced bound. The big-responses cache uses LRU: the default TinyLFU
// sizes its frequency sketch as if MaxWeight counted entries.
package main
