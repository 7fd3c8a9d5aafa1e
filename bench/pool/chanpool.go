package pool

import "context"

// chanPool is the simplest Go pool: a buffered channel of connections.
type chanPool struct{ c chan *Conn }

// NewChan returns a buffered-channel pool holding conns connections.
func NewChan(conns int) Pooler {
	c := make(chan *Conn, conns)
	for i := range conns {
		c <- &Conn{ID: i + 1}
	}
	return chanPool{c}
}

func (p chanPool) Acquire(ctx context.Context) (any, error) {
	select {
	case c := <-p.c:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p chanPool) Release(h any) { p.c <- h.(*Conn) }
func (p chanPool) Close()        {}
