// Package cow shares data between goroutines without making readers wait.
//
// Three types cover the ways shared data changes:
//
//   - Value[T] is copy-on-write: Load returns the current value with one
//     atomic load, never blocking and never allocating; Update clones the
//     value, lets a func change and validate the clone, and publishes it
//     atomically. A failed Update publishes nothing. Writers are serialized,
//     so no update is lost.
//   - Versioned[T] adds a version number (incremented by every publication)
//     and watchers: Watch(ctx) is an iter.Seq of snapshots in which the
//     newest version always wins. A slow watcher never blocks writers and
//     never misses the newest version; versions published while it was busy
//     are skipped, and the version numbers show it. Watching starts no
//     goroutine: a watcher waits on a channel that the next publication
//     closes, so it ends with its loop or its ctx.
//   - Locked[T] is a value under a read-write lock, changed in place, for
//     state that is written too often, or is too large, to clone.
//
// Each type has Stats (writes, failed updates, clones, snapshots delivered
// and skipped, failed Try calls). Reads are not counted: a shared counter
// would cost more than the read.
//
// # Caveats
//
//   - Value and Versioned must be made by New and NewVersioned: their zero
//     values are not usable (Load would dereference nil). The price of a zero
//     value that works was a branch that made Load 1.5× a bare atomic load
//     instead of 1.0× (BenchmarkLoadRatio). Locked's zero value works.
//   - A published value is shared by every reader. For maps, slices and
//     pointers the clone func must deep-copy what Update's func changes, and
//     readers must not modify what Load returns; nothing enforces this.
//   - Update's func and clone run under the writer lock (that is what
//     serializes writers): keep them short and never call Update or Store
//     of the same value from inside them. Loads are not affected.
//   - Every publication allocates the new box (and, for Versioned, a
//     channel); Value suits read-mostly data, not counters updated in a
//     tight loop — see the Update benchmarks against a sync.RWMutex.
//   - Locked runs its callbacks under the lock; they must not call back into
//     the same Locked and must not keep references into the value.
package cow
