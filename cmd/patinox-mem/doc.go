// Command patinox-mem demonstrates and inspects github.com/patinox/memory.
//
// Usage:
//
//	patinox-mem demo [--agents N] [--duration D] [--seed S]
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
// released before its connections, no temp file left on disk). The exit
// status is 0 when every resource is accounted for, 1 when anything is not
// (or the demo could not run), 2 for a bad command line.
//
// Other parts of the library join the demo as components: see component.go.
//
// # Caveats
//
// The demo uses real time and real garbage collections (to let the leak
// detector see dropped guards), so its counts differ from run to run even
// with the same --seed; the seed fixes each agent's sequence of choices, not
// the scheduling. Failures for good are injected on purpose and reported;
// they do not make the exit status non-zero, only unaccounted resources do.
package main
