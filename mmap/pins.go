package mmap

import (
	"context"
	"sync/atomic"

	"github.com/patinox/memory/internal/stackprobe"
)

// Stripe counts: eight per P, so that two goroutines running at the same
// time share one with a chance of about 1 in 8·GOMAXPROCS, and at most
// maxStripes (64 B each: 1 KiB per Map with GOMAXPROCS 2, at most 16 KiB).
const (
	stripesPerP = 8
	maxStripes  = 256
)

// closedBit, set in every stripe by refuse, marks the pins closed; the low
// bits of a stripe count its holders.
const closedBit = 1 << 62

// pins counts the views and copies running on a Map so that Close can refuse
// new ones and wait for the running ones without making them block each
// other. Holders are spread over stripes, one cache line each, chosen by the
// holder goroutine's stack address: readers of one Map on different cores
// then add to different lines instead of all bouncing one between the cores
// (BenchmarkView, goroutines=GOMAXPROCS). Acquiring is one atomic add,
// releasing another. init must be called before use.
//
// Why refuse cannot miss a holder: refuse sets closedBit in each stripe
// with an atomic or, which returns the holders it found there. A holder's
// add comes either before that (refuse counts it) or after (the holder sees
// closedBit and is refused). A holder releases on the stripe it acquired; a
// release that finds closedBit there was counted by refuse and counts down
// left, to which refuse adds the number it found.
type pins struct {
	stripes []stripe      // a power of two of them
	left    atomic.Int64  // after refuse: holders counted minus those gone
	drained chan struct{} // closed when the last counted holder is gone
}

// stripe is one counter alone on its cache line.
type stripe struct {
	n atomic.Int64
	_ [56]byte
}

// init sizes the stripes for the current GOMAXPROCS.
func (p *pins) init() {
	p.stripes = make([]stripe, min(maxStripes, stackprobe.Stripes(stripesPerP)))
	p.drained = make(chan struct{})
}

// acquire pins the Map on the calling goroutine's stripe, which the holder
// passes back to release. It reports false after refuse: the caller holds
// nothing and must not release. (A refused add stays in its stripe; nothing
// reads the stripes' counts after refuse.)
func (p *pins) acquire() (*stripe, bool) {
	s := &p.stripes[stackprobe.Probe()&uint32(len(p.stripes)-1)]
	return s, s.n.Add(1)&closedBit == 0
}

// release unpins s, the stripe acquire returned.
func (p *pins) release(s *stripe) {
	if s.n.Add(-1)&closedBit != 0 {
		p.gone()
	}
}

// gone counts down a holder that refuse counted; the last one closes
// drained. Before refuse has added its count, left only goes below zero, so
// it reaches zero once, after every counted holder is gone.
//
//go:noinline
func (p *pins) gone() {
	if p.left.Add(-1) == 0 {
		close(p.drained)
	}
}

// close refuses new holders and waits until the running ones are gone. It
// must be called once, and not after refuse.
func (p *pins) close() {
	p.refuse()
	<-p.drained
}

// refuse refuses new holders; drained is closed once the running ones are
// gone (at once if there are none). It must be called once.
func (p *pins) refuse() {
	var n int64
	for i := range p.stripes {
		n += p.stripes[i].n.Or(closedBit)
	}
	if p.left.Add(n) == 0 { // every counted holder is gone: none will call gone
		close(p.drained)
	}
}

// wait waits, after refuse, until the running holders are gone or ctx
// ends, and then returns ctx.Err().
func (p *pins) wait(ctx context.Context) error {
	select {
	case <-p.drained:
		return nil
	default:
	}
	select {
	case <-p.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
