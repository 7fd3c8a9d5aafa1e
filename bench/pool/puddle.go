package pool

import (
	"context"

	"github.com/jackc/puddle/v2"
)

type puddlePool struct{ p *puddle.Pool[*Conn] }

// NewPuddle returns jackc/puddle/v2 with conns connections, prefilled.
func NewPuddle(conns int) Pooler {
	n := 0
	p, err := puddle.NewPool(&puddle.Config[*Conn]{
		Constructor: func(context.Context) (*Conn, error) { n++; return &Conn{ID: n}, nil },
		Destructor:  func(*Conn) {},
		MaxSize:     int32(conns),
	})
	if err != nil {
		panic(err)
	}
	prefill(p.Acquire, (*puddle.Resource[*Conn]).Release, conns)
	return puddlePool{p}
}

func (p puddlePool) Acquire(ctx context.Context) (any, error) { return p.p.Acquire(ctx) }
func (p puddlePool) Release(h any)                            { h.(*puddle.Resource[*Conn]).Release() }
func (p puddlePool) Close()                                   { p.p.Close() }
