package stackprobe_test

import (
	"runtime"
	"sync"
	"testing"

	"github.com/patinox/memory/internal/stackprobe"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestProbeSpreadsGoroutines checks what striping relies on: a goroutine
// gets the same probe on every call from the same place, and goroutines
// alive at the same time spread over 16 stripes.
func TestProbeSpreadsGoroutines(t *testing.T) {
	const goroutines, stripes = 64, 16
	probes := make([]uint32, goroutines)
	var ready, done sync.WaitGroup
	ready.Add(goroutines)
	release := make(chan struct{})
	for g := range goroutines {
		done.Go(func() {
			growStack() // so that the stack does not move after probing
			probes[g] = probeHere()
			for range 3 {
				if p := probeHere(); p != probes[g] {
					t.Errorf("goroutine %d: probe %#x, then %#x", g, probes[g], p)
				}
			}
			ready.Done()
			<-release // keep every stack alive until all have probed
		})
	}
	ready.Wait()
	close(release)
	done.Wait()
	used := map[uint32]int{}
	for _, p := range probes {
		if p >= 1<<24 {
			t.Fatalf("probe %#x has more than 24 bits", p)
		}
		used[p%stripes]++
	}
	// 64 goroutines spread evenly would fill all 16; a probe that ignored
	// the stack address, or only saw its megabyte, would fill one or two.
	if len(used) < stripes*3/4 {
		t.Errorf("%d goroutines landed on %d of %d stripes: %v", goroutines, len(used), stripes, used)
	}
}

// probeHere calls Probe from a frame of its own, so that every call from
// one function sees the same stack address.
//
//go:noinline
func probeHere() uint32 { return stackprobe.Probe() }

// growStack makes the calling goroutine's stack large at once. A stack that
// grows moves to a larger copy and the one it left is reused by the next
// goroutine, which then probes the same address: this test measures the
// spread of goroutines whose stacks stay put, as a long-running reader's
// do. (Under the race detector a new goroutine's first channel operation
// already moves its stack.)
//
//go:noinline
func growStack() byte {
	var b [16 << 10]byte
	for i := range b {
		b[i] = byte(i)
	}
	return b[len(b)-1] + b[len(b)/2]
}

// TestStripes checks the stripe count users size their tables with: the
// smallest power of two with perP stripes for each P.
func TestStripes(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 6} {
		runtime.GOMAXPROCS(procs)
		for _, perP := range []int{1, 4, 8} {
			n, want := stackprobe.Stripes(perP), perP*procs
			if n&(n-1) != 0 || n < want || n >= 2*want {
				t.Errorf("GOMAXPROCS %d: Stripes(%d) = %d, want the power of two in [%d, %d)", procs, perP, n, want, 2*want)
			}
		}
	}
}
