// Package mmap compares patinox/memory/mmap with the Go memory-mapping
// libraries users reach for: golang.org/x/exp/mmap (a read-only ReaderAt
// that copies) and github.com/edsrzf/mmap-go (the mapped []byte itself).
// Neither guards against a truncated file or use after Close: a fault there
// crashes the process. The benchmarks measure what patinox's guard (the pin
// that makes Close wait, and the fault-to-error switch) costs against them,
// on random 64-byte reads of a warm 256 MiB file, from one goroutine and
// from all Ps at once.
//
// Run: go test -run '^$' -bench . ./mmap/ (from the bench directory).
package mmap
