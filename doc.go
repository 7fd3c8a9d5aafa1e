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
//
// This package itself exports nothing.
package memory
