// Package memory is the root of patinox/memory, a library that gives
// long-running Go services deterministic, observable, leak-detected management
// of everything that is not plain heap memory.
//
// The work is done by its packages:
//
//   - [github.com/patinox/memory/resource]: guards, the registry, priority
//     cleanup scheduling, leak detection and ordered shutdown.
//   - [github.com/patinox/memory/pool]: a generic connection pool.
//   - [github.com/patinox/memory/cache]: a multi-policy cache.
//   - [github.com/patinox/memory/mmap]: memory-mapped files.
//   - [github.com/patinox/memory/cow]: copy-on-write shared data.
//   - [github.com/patinox/memory/pressure]: one memory-pressure level from
//     the Go runtime, cgroup v2 and Linux PSI, with hysteresis.
//
// Test helpers are in [github.com/patinox/memory/resource/resourcetest]
// and [github.com/patinox/memory/pressure/pressuretest]; neither imports
// package testing, so neither reaches a production build through it.
//
// Every package works on its own. Given a *resource.Registry
// (Options.Registry) a component registers what it owns, so that one
// Shutdown releases everything in order. Given a *pressure.Monitor
// (Options.Pressure of the registry, pools and caches) it gives memory back
// when the level rises; a Reclaimable mapping gives its pages back through
// the registry.
//
// This package itself exports nothing.
//
// # Caveats
//
//   - The integration is opt-in: a component given no Registry is not
//     listed, reclaimed or shut down by one, and one given no Monitor does
//     not react to memory pressure. The copy-on-write values of package cow
//     never react to pressure.
//   - Leak detection is a safety net built on runtime.AddCleanup: a
//     resource, mapping or connection dropped without its Close or Release
//     is found only when a garbage collection sees it unreachable, which may
//     be late or, in a process that exits first, never. Release what you
//     acquire; the registry, not the garbage collector, is the source of
//     truth.
//   - Linux (amd64) is the main target and macOS builds and works. Elsewhere
//     the system-specific parts (memory-mapped files) return errors wrapping
//     errors.ErrUnsupported. The pressure signals from cgroup v2 and PSI
//     exist only on Linux; where a source is missing the monitor goes on
//     without it and says so in Reading().Notes.
//   - Memory pressure is measured as the Go runtime and the cgroup see it:
//     memory outside the Go runtime (cgo, mappings) counts only through the
//     cgroup, so a process without a cgroup limit does not see it at all.
package memory
