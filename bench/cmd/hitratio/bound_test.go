package main

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/patinox/memory/bench/internal/belady"
)

// TestNoPolicyBeatsOptimum replays, in both -sync modes, a loop slightly
// larger than the cache (Bélády keeps all but a few keys, LRU none) through
// every policy. A policy that holds more entries than its capacity, even
// briefly (a peer whose writes reach its policy asynchronously), can hit
// more often than Bélády's optimum, which bounds every policy of that
// capacity.
func TestNoPolicyBeatsOptimum(t *testing.T) {
	const capacity, loop, rounds = 500, 520, 60
	keys := make([]uint64, 0, loop*rounds)
	for i := range loop * rounds {
		keys = append(keys, uint64(i%loop))
	}
	optimal := belady.Hits(keys, belady.NextUse(keys), capacity)
	defer func(mode string) { syncMode = mode }(syncMode)
	// One P: a peer's background goroutine runs only when the replay
	// blocks, so a lag behind the replay shows on every run.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, mode := range []string{syncOp, syncBatch} {
		syncMode = mode
		for _, p := range allPolicies() {
			if p.kind == optimum {
				continue
			}
			t.Run(fmt.Sprintf("sync=%s/policy=%s", mode, p.name), func(t *testing.T) {
				if got := replay(p.new(capacity), keys); got > optimal {
					t.Fatalf("%d hits of %d requests at capacity %d, more than Bélády's %d", got, len(keys), capacity, optimal)
				}
			})
		}
	}
}
