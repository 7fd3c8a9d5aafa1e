// Command resourcecmp measures github.com/patinox/memory/resource side by
// side with a Go transcription of the seed design it replaces, in one
// process, and prints a table with ratios:
//
//	(a) Track+Release throughput at 1, 2 and 64 goroutines;
//	(b) the delay before a Critical cleanup starts when it is queued behind a
//	    burst of Low cleanups of 10 µs of busy work each;
//	(c) idle wake-ups per second of a registry with nothing to do.
//
// Every figure is the median of -runs runs. Run it from the bench module:
//
//	cd bench && go run ./cmd/resourcecmp
//	cd bench && go run ./cmd/resourcecmp -runs 3 -only a,c
//
// The measurements are those of package
// github.com/patinox/memory/bench/resource; its benchmarks measure the same
// things under go test -bench.
//
// # Caveats
//
// The process is measured as a whole: run nothing else on the machine if the
// numbers matter, and quote medians of several runs. (c) needs Linux's /proc.
// (b) keeps every core busy for a few seconds per run.
package main
