// Package bench is the root of the benchmark module of patinox/memory: side-by-side
// comparisons of the library's packages with peer libraries (otter, theine,
// ristretto, golang-lru, puddle, database/sql, golang.org/x/exp/mmap,
// edsrzf/mmap-go) and with a transcription of the
// seed design, plus the cache hit-ratio simulator (cmd/hitratio).
//
// It is a separate module so that peers never enter the library's go.mod.
// Benchmarks run with `go test -run '^$' -bench . -benchmem ./...` from this
// directory; `make test` runs only its tests.
package bench
