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

	"github.com/patinox/memory/resource"
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

// closeAndVerify closes p and fails t if the backend saw a promise broken
// or still has a connection live.
func (b *backend) closeAndVerify(t testing.TB, p *Pool[*fconn]) {
	t.Helper()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.verify(t, true)
}

// gatedCreate is b's create held until gate is closed; it ignores its
// context meanwhile.
func (b *backend) gatedCreate(gate <-chan struct{}) func(context.Context) (*fconn, error) {
	return func(ctx context.Context) (*fconn, error) {
		<-gate
		return b.create(ctx)
	}
}

func mustNew[T any](t testing.TB, create func(context.Context) (T, error), destroy func(context.Context, T) error, o *Options[T]) *Pool[T] {
	t.Helper()
	p, err := New(create, destroy, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// mustAcquire acquires a lease of p, failing t at once if it cannot.
func mustAcquire[T any](t testing.TB, p *Pool[T]) *Lease[T] {
	t.Helper()
	l, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return l
}

// mustRegistry returns a registry with options o; the test shuts it down.
func mustRegistry(t testing.TB, o *resource.Options) *resource.Registry {
	t.Helper()
	r, err := resource.NewRegistry(o)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	return r
}

// inBackground runs f on a new goroutine; its error arrives on the
// returned channel.
func inBackground(f func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	return done
}

// acquireInBackground starts an Acquire of p on a new goroutine; its error
// arrives on the returned channel (the lease, if any, is dropped).
func acquireInBackground[T any](p *Pool[T]) <-chan error {
	return inBackground(func() error {
		_, err := p.Acquire(context.Background())
		return err
	})
}

// leaseInBackground starts an Acquire of p on a new goroutine; the lease
// arrives on the returned (unbuffered) channel: nil, with t failed, if the
// Acquire failed.
func leaseInBackground[T any](t testing.TB, p *Pool[T]) <-chan *Lease[T] {
	got := make(chan *Lease[T])
	go func() {
		l, err := p.Acquire(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	return got
}

// blockedUntil fails t with msg (a format for the early result) if done
// already has a result, then closes gate and returns done's result: the
// call behind done must wait for what gate holds back.
func blockedUntil(t testing.TB, gate chan struct{}, done <-chan error, msg string) error {
	t.Helper()
	select {
	case err := <-done:
		t.Errorf(msg, err)
		close(gate)
		return err
	default:
		close(gate)
		return <-done
	}
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
