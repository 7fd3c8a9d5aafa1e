package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// backend creates in-memory connections and checks the pool's promises:
// no connection is destroyed twice, and the number live never exceeds max.
type backend struct {
	max int // 0: no check

	mu        sync.Mutex // protects following fields
	next      int
	live      map[int]*fconn
	created   int
	destroyed int
	peak      int
	failNext  int   // fail this many creates
	failErr   error // error of failing creates
	errs      []error
	block     chan struct{} // when set, create waits for it (or ctx)
}

type fconn struct {
	id        int
	healthy   atomic.Bool
	destroyed atomic.Bool
}

var errDown = errors.New("backend down")

func newBackend(max int) *backend { return &backend{max: max, live: map[int]*fconn{}} }

func (b *backend) create(ctx context.Context) (*fconn, error) {
	b.mu.Lock()
	block := b.block
	b.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failNext > 0 {
		b.failNext--
		if b.failErr != nil {
			return nil, b.failErr
		}
		return nil, errDown
	}
	b.next++
	c := &fconn{id: b.next}
	c.healthy.Store(true)
	b.live[c.id] = c
	b.created++
	b.peak = max(b.peak, len(b.live))
	if b.max > 0 && len(b.live) > b.max {
		b.errs = append(b.errs, fmt.Errorf("%d connections live, max %d", len(b.live), b.max))
	}
	return c, nil
}

func (b *backend) destroy(_ context.Context, c *fconn) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.destroyed.Swap(true) {
		b.errs = append(b.errs, fmt.Errorf("connection %d destroyed twice", c.id))
		return nil
	}
	delete(b.live, c.id)
	b.destroyed++
	return nil
}

func (b *backend) check(_ context.Context, c *fconn) error {
	if !c.healthy.Load() {
		return fmt.Errorf("connection %d: %w", c.id, errDown)
	}
	return nil
}

// verify fails t if a promise was broken or, when closed, a connection is
// still live.
// tb is what verify needs of a *testing.T or *rapid.T.
type tb interface {
	Helper()
	Error(args ...any)
	Errorf(format string, args ...any)
}

func (b *backend) verify(t tb, closed bool) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, err := range b.errs {
		t.Error(err)
	}
	if closed && len(b.live) != 0 {
		t.Errorf("after Close: %d connections live, want 0 (created %d, destroyed %d)", len(b.live), b.created, b.destroyed)
	}
}

func (b *backend) counts() (created, destroyed, live int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.created, b.destroyed, len(b.live)
}

func mustNew[T any](t testing.TB, create func(context.Context) (T, error), destroy func(context.Context, T) error, o *Options[T]) *Pool[T] {
	t.Helper()
	p, err := New(create, destroy, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// tcpServer is a real loopback TCP server with a behaviour per mode.
type tcpServer struct {
	ln       net.Listener
	mode     string        // "echo", "stall" (accept, never answer), "drop" (close at once)
	accepted chan struct{} // one value per connection accepted and recorded
	wg       sync.WaitGroup

	mu    sync.Mutex // protects following fields
	conns []net.Conn
}

func startServer(t testing.TB, mode string) *tcpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &tcpServer{ln: ln, mode: mode, accepted: make(chan struct{}, 1024)}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *tcpServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		switch s.mode {
		case "drop":
			c.Close()
			continue
		case "echo":
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				_, _ = io.Copy(c, c)
			}()
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		select {
		case s.accepted <- struct{}{}:
		default:
		}
	}
}

// dropAll closes every accepted connection (the server "restarts").
func (s *tcpServer) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

func (s *tcpServer) close() {
	s.ln.Close()
	s.dropAll()
	s.wg.Wait()
}

func (s *tcpServer) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", s.ln.Addr().String())
}

func closeConn(_ context.Context, c net.Conn) error { return c.Close() }

// ping writes a byte and expects it echoed.
func ping(ctx context.Context, c net.Conn) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
		defer c.SetDeadline(time.Time{})
	}
	if _, err := c.Write([]byte{'p'}); err != nil {
		return err
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return err
	}
	return nil
}

// advance moves a synctest bubble's fake clock by d.
func advance(d time.Duration) { <-time.After(d) }
