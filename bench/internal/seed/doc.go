// Package seed is a Go transcription of the resource-management design this
// library replaces: the Rust seed's AsyncResourceGuard and ResourceRegistry
// (patinox src/memory/resource.rs and src/memory/registry.rs).
//
// It exists only so the bench module can measure the seed's design side by
// side with github.com/patinox/memory/resource in one process. It is faithful
// on purpose, flaws included; every place that mirrors a flaw of the seed is
// marked with a comment starting "SEED FLAW:". It is not made artificially
// slow: where a transcription choice exists, the cheaper Go construct was
// taken (sync.RWMutex for tokio's async RwLock, one reused timer for tokio's
// per-iteration timeout, math/rand/v2 for the UUID v4 generator).
//
// The shape of the seed:
//
//   - [Registry] holds one RWMutex-guarded map of [Info] keyed by [ID]
//     (Register, Unregister, Info, ActiveCount).
//   - One worker goroutine receives one [Request] at a time from an unbounded
//     queue, pushes it on a binary heap ordered by [Priority] (not stable),
//     pops one and runs it, and, when idle, wakes every 10 ms to poll
//     (the seed's tokio::time::timeout(10 ms, rx.recv()) loop).
//   - Shutdown sets a flag, calls ForceCleanupAll (which, because the flag is
//     already set, does nothing), sleeps 100 ms and clears the map: whatever
//     was still queued is forgotten.
//   - ForceCleanupAll schedules no-op cleanups that drop resources from the
//     map without calling their real cleanups.
//   - [Guard] is AsyncResourceGuard: it is not connected to the registry and
//     its Drop spawns a detached goroutine.
//
// # Caveats
//
// Do not use this package for anything but measurement. Instrumentation that
// the seed did not have (IdleWakeups, Failures, Close) is marked as such; it
// costs one atomic add on paths that are not measured for throughput.
package seed
