// Package pressure turns what the Go runtime, the cgroup v2 memory controller
// and Linux PSI know about memory into one signal, a [Level], so that every
// component holding memory it could give back (caches, pools, mappings, the
// resource registry's Reclaimable resources) can react before the process
// hits its memory limit or the kernel's OOM killer.
//
// A [Monitor] polls its sources every Options.Interval and combines them by
// taking the highest level any of them implies:
//
//   - the Go runtime, through runtime/metrics (which does not stop the world,
//     unlike runtime.ReadMemStats): the live heap as of the last GC plus the
//     runtime's overhead outside the heap (stacks, GC metadata), divided by
//     the effective limit — garbage and free heap pages are left out, since
//     the GC returns them as the limit nears; and the GC CPU limiter
//     switching on, which means the GC is losing against the limit (Critical);
//   - cgroup v2: memory.current (less inactive page cache) against
//     memory.high or memory.max, re-read at every poll so container resizes
//     are followed, and new memory.events ("high" → High; "max", "oom",
//     "oom_kill" → Critical);
//   - Linux PSI triggers on the cgroup's memory.pressure (or the system's
//     /proc/pressure/memory): the kernel wakes the monitor between polls when
//     tasks stall on memory ("some" → High, "full" → Critical).
//
// The effective limit is, in this order: Options.Limit, GOMEMLIMIT, 90% of the
// cgroup's memory.max, the machine's RAM. A source that is missing is skipped
// with a note in [Reading].Notes; it is never an error at startup.
//
// Levels have hysteresis: each level has an enter and an exit ratio
// ([DefaultThresholds]: 0.70/0.60, 0.85/0.78, 0.95/0.90). The monitor
// escalates at once and steps down one level at a time, each step after
// Options.Calm below the current level's exit ratio. Subscribers
// ([Monitor.Subscribe], [Monitor.Watch]) are called on a goroutine of their
// own that exists only while a delivery is due (an idle subscription costs
// no goroutine), are never called under a lock, receive at most one level per interval (the
// newest wins, and the return to Normal is always announced), and a slow one
// delays nobody else.
//
// # Caveats
//
//   - [Monitor.Close] waits for running Subscribe callbacks: a callback that
//     calls Close deadlocks (hand it to another goroutine). Set, Reading,
//     Level, Subscribe and stop may be called from callbacks and from
//     Options.Logger's handler.
//   - A process whose cgroup lies outside its cgroup namespace
//     (/proc/self/cgroup shows "0::/../..."), where no cgroup2 mount reaches
//     it, has no cgroup signal: the source is skipped with a note naming the
//     reason, rather than reading the namespace root's or another cgroup's
//     files, which are not this process's limits.
//   - cgroup v1 (the memory controller of older, "hybrid" hosts) is not read:
//     on such hosts the limit comes from GOMEMLIMIT, Options.Limit or RAM.
//   - The PSI watcher is a goroutine blocked in poll(2); it holds one OS
//     thread while the monitor is open. Disable it with SourcePSI.
//   - [Monitor.Set] injects a level as if measured; later polls go on, so an
//     injected level steps down after a calm period if nothing holds it.
//   - Ratios use what the Go runtime needs, not RSS: the live heap is only
//     updated at the end of each GC cycle, garbage waiting for the next
//     cycle is not counted, and memory outside the Go runtime (cgo, mmap) is
//     seen only through the cgroup.
package pressure
