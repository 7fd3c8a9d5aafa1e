package mmap

import (
	"sync"
	"sync/atomic"
)

// closedBit marks a pins counter as closed; the low bits count holders.
const closedBit = 1 << 62

// pins counts the views and copies running on a Map so that Close can refuse
// new ones and wait for the running ones without making them block each
// other: acquiring is one atomic add, releasing another. init must be called
// before use.
type pins struct {
	n       atomic.Int64
	once    sync.Once
	drained chan struct{} // closed once closed and no holder is left
}

func (p *pins) init() { p.drained = make(chan struct{}) }

// acquire pins the Map. It reports false, holding nothing, after close.
func (p *pins) acquire() bool {
	return p.n.Add(1)&closedBit == 0 || p.refuse()
}

// refuse undoes a pin taken after close; it always reports false. It is
// kept out of line so that acquire inlines.
//
//go:noinline
func (p *pins) refuse() bool {
	p.release()
	return false
}

// release unpins; the last holder after close wakes the closer.
func (p *pins) release() {
	if p.n.Add(-1) == closedBit {
		p.signal()
	}
}

func (p *pins) signal() { p.once.Do(func() { close(p.drained) }) }

// close refuses new holders and waits until the running ones are gone.
func (p *pins) close() {
	if p.n.Or(closedBit) == 0 {
		p.signal()
	}
	<-p.drained
}
