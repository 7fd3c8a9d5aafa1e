package mmap

import (
	"testing"
	"testing/synctest"

	"pgregory.net/rapid"
)

// holder is a goroutine that pins p and keeps the pin until told to let go;
// a refused one ends at once.
type holder struct {
	ok      bool
	stripe  *stripe
	letGo   chan struct{}
	settled chan struct{} // closed once the pin is taken, or after release
}

func hold(p *pins) *holder {
	h := &holder{letGo: make(chan struct{}), settled: make(chan struct{})}
	go func() {
		growStack()
		h.stripe, h.ok = p.acquire()
		if !h.ok {
			close(h.settled)
			return
		}
		h.settled <- struct{}{}
		<-h.letGo
		p.release(h.stripe)
		close(h.settled)
	}()
	<-h.settled
	return h
}

// growStack makes the calling goroutine's stack large at once, so that it
// does not move (to a larger copy) after the goroutine took its stripe:
// the stack it left would be reused by the next goroutine, which would then
// probe the same address. (The race detector's runtime needs more stack in
// a channel operation, so without this every holder took the stripe of the
// first one under -race.)
//
//go:noinline
func growStack() byte {
	var b [16 << 10]byte
	for i := range b {
		b[i] = byte(i)
	}
	return b[len(b)-1] + b[len(b)/2]
}

func (h *holder) release() {
	close(h.letGo)
	<-h.settled
}

// TestPinsCloseWaitsForExactlyTheRunningHolders checks close against a
// model: it returns once every holder that was pinned when it began has
// released, in any order, and not before; holders gone before close do not
// count, and a pin taken after close began is refused.
func TestPinsCloseWaitsForExactlyTheRunningHolders(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(0, 24).Draw(rt, "holders")
		early := rapid.SliceOfN(rapid.Bool(), n, n).Draw(rt, "releasedBeforeClose")
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		order := rapid.Permutation(idx).Draw(rt, "releaseOrder")
		synctest.Test(t, func(t *testing.T) {
			var p pins
			p.init()
			hs := make([]*holder, n)
			for i := range hs {
				if hs[i] = hold(&p); !hs[i].ok {
					t.Fatalf("holder %d refused before close", i)
				}
			}
			var running []*holder // in release order
			for i, h := range hs {
				if early[i] {
					h.release()
				}
			}
			for _, i := range order {
				if !early[i] {
					running = append(running, hs[i])
				}
			}
			closed := make(chan struct{})
			go func() { p.close(); close(closed) }()
			synctest.Wait()
			if late := hold(&p); late.ok {
				t.Fatal("a pin taken after close began was not refused")
			}
			for k, h := range running {
				select {
				case <-closed:
					t.Fatalf("close returned with %d of %d holders running", len(running)-k, len(running))
				default:
				}
				h.release()
				synctest.Wait()
			}
			select {
			case <-closed:
			default:
				t.Fatal("close still waits after every holder released")
			}
		})
	})
}

// TestPinsSpreadGoroutinesOverStripes checks that goroutines pinning at the
// same time land on different stripes (the point of striping: readers on
// different cores add to different cache lines), and the stripe count.
func TestPinsSpreadGoroutinesOverStripes(t *testing.T) {
	var p pins
	p.init()
	if n := len(p.stripes); n < stripesPerP || n > maxStripes || n&(n-1) != 0 {
		t.Fatalf("%d stripes, want a power of two in [%d, %d]", n, stripesPerP, maxStripes)
	}
	synctest.Test(t, func(t *testing.T) {
		used := map[*stripe]bool{}
		var hs []*holder
		for range 4 * len(p.stripes) {
			h := hold(&p)
			used[h.stripe] = true
			hs = append(hs, h)
		}
		if len(used) < len(p.stripes)/2 {
			t.Errorf("%d goroutines pinned %d of %d stripes, want at least half", len(hs), len(used), len(p.stripes))
		}
		for _, h := range hs {
			h.release()
		}
		if n := p.heldForTest(); n != 0 {
			t.Errorf("%d pins held after every holder released", n)
		}
	})
}

// heldForTest counts the pins held over all stripes.
func (p *pins) heldForTest() int64 {
	var n int64
	for i := range p.stripes {
		n += p.stripes[i].n.Load() &^ closedBit
	}
	return n
}
