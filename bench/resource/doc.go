// Package resource measures github.com/patinox/memory/resource side by side
// with a transcription of the seed design it replaces
// (github.com/patinox/memory/bench/internal/seed), in one process:
//
//   - Throughput: one Track plus one Release per operation on the caller's
//     goroutine, at several goroutine counts, in wall-clock and in process
//     CPU time per operation (BenchmarkTrackRelease, [Throughput]).
//   - Critical delay: how long a Critical cleanup waits to start when it is
//     queued behind a burst of Low cleanups that each busy-wait for a fixed
//     time (BenchmarkCriticalDelay, [CriticalDelay]).
//   - Idle wake-ups: how often an idle registry wakes the process, counted
//     from the seed's own poll loop and, for both, from the kernel's context
//     switch counters in /proc/self/task/*/status against a baseline with no
//     registry, plus the goroutines the idle registry keeps
//     (BenchmarkIdleWakeups, [IdleWakeups]).
//
// Before each run the measurements collect garbage and wait for the
// runtime's cleanup queue to drain, so that one run's leftovers (our leak
// detector registers a runtime cleanup per Guard) are not charged to the
// next.
//
// Each implementation is reached through one adapter file (seed.go, ours.go)
// that implements the small [Registry] interface. The command
// github.com/patinox/memory/bench/cmd/resourcecmp runs all three measurements
// and prints a table with ratios.
//
// # Caveats
//
// Numbers depend on the machine and its load; run several times and quote
// medians. The idle wake-up measurement needs Linux's /proc; elsewhere it
// returns [ErrNoProcStat]. The critical-delay scenario busy-waits on every
// core for as long as the seed needs to drain the burst (about one second per
// 100 000 cleanups of 10 µs).
package resource
