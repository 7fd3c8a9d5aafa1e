package pool

import (
	"context"

	"github.com/patinox/memory/pool"
)

type ours struct{ p *pool.Pool[*Conn] }

// NewOurs returns patinox/memory's pool with conns connections, prefilled.
func NewOurs(conns int) Pooler {
	n := 0
	p, err := pool.New(func(context.Context) (*Conn, error) { n++; return &Conn{ID: n}, nil },
		func(context.Context, *Conn) error { return nil },
		&pool.Options[*Conn]{MaxSize: conns})
	if err != nil {
		panic(err)
	}
	prefill(p.Acquire, func(l *pool.Lease[*Conn]) { l.Release() }, conns)
	return ours{p}
}

func (o ours) Acquire(ctx context.Context) (any, error) { return o.p.Acquire(ctx) }
func (o ours) Release(h any)                            { h.(*pool.Lease[*Conn]).Release() }
func (o ours) Close()                                   { _ = o.p.Close(context.Background()) }

// prefill opens n connections by acquiring n and releasing them.
func prefill[L any](acquire func(context.Context) (L, error), release func(L), n int) {
	ls := make([]L, n)
	for i := range ls {
		l, err := acquire(context.Background())
		if err != nil {
			panic(err)
		}
		ls[i] = l
	}
	for _, l := range ls {
		release(l)
	}
}
