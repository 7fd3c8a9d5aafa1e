// Package mmap maps files into memory with the two classic crashes taken
// out: touching a mapping after it was released, and touching a page after
// the file was truncated under it.
//
// Open or OpenFile returns a *Map in one of three modes: ReadOnly, ReadWrite
// (shared: writes reach the file and every other mapping) and Private
// (copy-on-write: writes stay in this mapping). The bytes are reached in two
// ways:
//
//   - ReadAt and WriteAt copy, with io.ReaderAt and io.WriterAt semantics,
//     and are always safe: a fault while copying becomes an error wrapping
//     ErrTruncated (the file shrank) or an *os.PathError (an I/O error behind
//     the page), and after Close they return ErrClosed.
//   - View and ViewOf[T] give zero-copy access to the bytes, or to them as
//     []T for pointer-free T (checked once per type, with alignment and
//     bounds checked per call). The Map is pinned while the callback runs, so
//     Close waits for it, and a fault inside the callback becomes an error.
//
// A pin (also taken by ReadAt, WriteAt, Flush, Grow and the others) is one
// atomic add to a counter of the Map, and one to take it back. The counter
// is striped: about 8·GOMAXPROCS of them, a cache line each, and a goroutine
// uses the one its stack address picks, so readers of one Map on different
// cores do not take turns at one cache line (BenchmarkView with
// goroutines=GOMAXPROCS, BenchmarkRandom64's -parallel cases).
//
// Faults become errors through runtime/debug.SetPanicOnFault, switched on
// for the calling goroutine only while the copy or callback runs and
// restored afterwards; a recovered fault whose address is in the Map's
// ranges turns into the error, anything else keeps panicking. The guard
// costs about 13 ns per call on the test machine (BenchmarkGuardOverhead).
//
// Close refuses new access, waits for running views, and then remaps every
// range PROT_NONE (MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE)
// instead of unmapping it, so a slice that escaped a view faults when
// touched instead of silently reading whatever mapping later reuses the
// address. Grow extends a ReadWrite mapping without blocking readers: it
// maps the new pages of the file into address space reserved after the
// mapped ones, so the bytes keep their addresses, and moves the mapping to
// a new reservation twice the size only when that headroom runs out.
//
// With Options.Registry a Map is a tracked resource of kind "mmap" whose size
// is its length: Close releases it exactly once, and the registry's Shutdown
// closes the Map. A release the registry starts (Shutdown, Release,
// ReleaseMatching) waits for running views only as long as its context (and
// the registry's CleanupTimeout) allows: then it fails with an error
// wrapping the context's error, for the registry to retry or report, and
// the Map keeps refusing new views; a retry or Close finishes the release.
// Close itself always waits for running views.
//
// A Map dropped without Close is released when the garbage collector finds
// it unreachable (a runtime.AddCleanup safety net, as for the resource
// package's guards; a Registry keeps the Maps it tracks reachable until it
// releases them): its ranges become PROT_NONE reservations as in Close,
// its descriptor is closed, and a warning goes to Options.Logger
// (slog.Default() by default). A running view keeps its Map reachable, so
// the safety net never pulls the bytes from under one. A ReadOnly Map with Options.Reclaimable gives its pages
// back on the registry's Reclaim (MADV_DONTNEED, then POSIX_FADV_DONTNEED on
// Linux) instead of being closed, reports the bytes that left memory
// (measured with mincore before and after), and stays usable.
//
// Linux is the main target; macOS builds and works (no HugePage advice;
// Reclaim reports the length as freed). On other systems Open and OpenFile
// return an error wrapping errors.ErrUnsupported.
//
// # Caveats
//
//   - The fault guard covers only the goroutine that called View, ViewOf,
//     ReadAt or WriteAt. A goroutine started inside a view that touches the
//     slice and faults crashes the process.
//   - A slice must not outlive its view. After Close it points to an
//     inaccessible reservation: touching it crashes with a fault (unless
//     that goroutine enabled debug.SetPanicOnFault) instead of reading other
//     data. The price is address space: every range a Map ever mapped stays
//     reserved (no memory, no RSS) for the life of the process. Adjacent
//     reservations merge into one kernel mapping (1000 open/close cycles add
//     about one; TestClosedReservationsMerge), so vm.max_map_count is not the
//     limit; the 128 TiB user address space is (about 130 million closes of
//     1 MiB maps). Closing costs one mmap call per range instead of one
//     munmap: about twice the time (27 µs against 14.5 µs for a touched
//     1 MiB mapping on the test machine; BenchmarkClose).
//   - Grow reserves headroom: when a Grow does not fit the address space
//     reserved after the mapped pages, it reserves twice the new length (at
//     least 1 MiB more; PROT_NONE, MAP_NORESERVE: no memory) and maps the
//     file at its start. Grows that fit map only the new pages, in place,
//     and the kernel merges them with the mapped ones. A replaced range
//     stays mapped until Close (views started before the Grow may still use
//     it; both see the same file pages). Growing one page at a time 200
//     times costs 2 kernel mappings and 1 relocation (TestGrowInSmallSteps);
//     1 MiB steps to 256 MiB cost 8 and 7 (BenchmarkGrow); in general fewer
//     than log2(length / 1 MiB) + 2 relocations. The price is address space:
//     a grown Map keeps up to about 4× its final length (plus 2 MiB)
//     reserved, headroom included, and like every range it stays reserved
//     after Close. The first range has no headroom (a Map that never grows
//     costs only its pages), so the first Grow past its last page
//     relocates. mremap is not used: moving a mapping would leave running
//     views pointing at freed addresses.
//   - Grow gives the pages it adds the Map's Lock and its last Normal,
//     Sequential or Random advice and HugePage, so that they merge with the
//     rest: the advice best-effort, while a failed mlock fails the Grow
//     (which then adds nothing).
//   - Truncation is detected only when an access faults: bytes of the last
//     partial page past the new end read as zeros without a fault, as the
//     kernel provides them. ErrTruncated is decided by comparing the file
//     size after the fault with the mapped range.
//   - Private mappings: pages this mapping has not written may or may not
//     show later changes to the file (the kernel shares them until written);
//     DontNeed advice discards the mapping's own writes.
//   - Reclaim (Options.Reclaimable) reports only what left memory: pages
//     that are dirty, used by another mapping or process, or on tmpfs (no
//     swap to go to) stay and count as 0, although this process's RSS falls.
//     A locked Map (Lock) gives nothing back, and reports 0, until Unlock.
//   - Lock is limited by RLIMIT_MEMLOCK (ulimit -l), often 8 MiB for
//     unprivileged processes. Locking a Private Map copies all its pages
//     into anonymous memory (Linux breaks copy-on-write when it locks a
//     private writable mapping).
//   - The leak safety net runs only when a garbage collection finds the Map
//     unreachable, which may be late or, for a program that exits first,
//     never; until then the ranges stay mapped and, for ReadWrite, dirty
//     pages reach the file only when the kernel writes them back (no
//     msync). It is a net, not a way to close: call Close.
//   - Calling Close from inside a view of the same Map deadlocks; concurrent
//     writes through views race like writes to any shared []byte.
//   - The pin's stripes cost 64 bytes each: 1 KiB per Map with GOMAXPROCS
//     2, at most 16 KiB. Two goroutines share a stripe with a chance of
//     about one in the stripe count, for as long as both live; a single
//     goroutine pays about 2 ns more per call than with one counter.
//   - ViewOf interprets bytes in the machine's byte order and layout; files
//     shared between machines need a fixed-endian format.
//   - One ViewOf (or ReadAt) per random read of cold memory costs about one
//     cache-and-TLB miss per read: the pin, the fault guard and the callback
//     keep the CPU from overlapping one call's miss with the next
//     (BenchmarkRandom64Parts). ViewOf, ReadAt and WriteAt start the miss
//     first, with a prefetch of the bytes they will touch (an assembly
//     instruction on amd64 and arm64; none elsewhere), so that it overlaps
//     with their own bookkeeping. Many random reads inside one View or
//     ViewOf overlap with each other like reads of a []byte.
package mmap
