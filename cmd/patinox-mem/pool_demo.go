package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patinox/memory/pool"
)

func init() { register(20, func() component { return &poolDemo{} }) }

// The fake LLM providers the agents call, one keyed sub-pool each.
var demoProviders = []string{"openai", "anthropic", "mistral"}

// poolDemo: agents call fake LLM providers over pooled TCP connections to a
// loopback server the demo starts. The server drops a connection at random
// (1 request in 40), so leases break, get destroyed and replaced, and the
// checks on acquire catch connections that died while idle.
type poolDemo struct {
	srv  *flakyServer
	k    *pool.Keyed[string, *providerConn]
	dial net.Dialer

	calls, broken, opened, closed atomic.Int64
	// per provider, counted here: KeyedStats.PerKey has only the sub-pools
	// that exist now (an emptied one is removed, its counts go to Total)
	perProvider map[string]*providerCount
}

type providerCount struct{ acquires, created atomic.Int64 }

// providerConn is one connection to a provider.
type providerConn struct {
	c net.Conn
	r *bufio.Reader
}

func (d *poolDemo) name() string { return "pool" }

func (d *poolDemo) start(_ context.Context, e *env) error {
	srv, err := startFlakyServer(e.seed)
	if err != nil {
		return err
	}
	d.srv = srv
	d.perProvider = make(map[string]*providerCount, len(demoProviders))
	for _, p := range demoProviders {
		d.perProvider[p] = new(providerCount)
	}
	k, err := pool.NewKeyed(d.connect, d.disconnect, &pool.KeyedOptions[string, *providerConn]{
		MaxPerKey: 4, MaxTotal: 10,
		MaxLifetime: 2 * time.Second, LifetimeJitter: 500 * time.Millisecond,
		Check: d.ping, CheckIdleAfter: 50 * time.Millisecond, CheckTimeout: 200 * time.Millisecond,
		CreateTimeout: time.Second, Registry: e.registry, Kind: "llm-provider",
		Pressure: e.pressure, // nil unless demo --memlimit: trims idle connections under pressure
	})
	if err != nil {
		srv.close()
		return err
	}
	d.k = k
	return nil
}

func (d *poolDemo) connect(ctx context.Context, provider string) (*providerConn, error) {
	c, err := d.dial.DialContext(ctx, "tcp", d.srv.ln.Addr().String())
	if err != nil {
		return nil, err
	}
	d.opened.Add(1)
	d.perProvider[provider].created.Add(1)
	return &providerConn{c: c, r: bufio.NewReader(c)}, nil
}

func (d *poolDemo) disconnect(_ context.Context, pc *providerConn) error {
	d.closed.Add(1)
	return pc.c.Close()
}

// call sends one line and reads its echo, within ctx's deadline.
func (d *poolDemo) call(ctx context.Context, pc *providerConn, msg string) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = pc.c.SetDeadline(dl)
	}
	if _, err := fmt.Fprintln(pc.c, msg); err != nil {
		return err
	}
	got, err := pc.r.ReadString('\n')
	if err != nil {
		return err
	}
	if got != msg+"\n" {
		return fmt.Errorf("provider answered %q to %q", got, msg)
	}
	return nil
}

func (d *poolDemo) ping(ctx context.Context, pc *providerConn) error { return d.call(ctx, pc, "ping") }

// step makes one provider call; a broken connection is destroyed (the pool
// replaces it), and the call is not retried.
func (d *poolDemo) step(ctx context.Context, agent int, rng *rand.Rand) error {
	provider := demoProviders[rng.IntN(len(demoProviders))]
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	l, err := d.k.Acquire(ctx, provider)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, pool.ErrClosed) {
			return nil // the run is over
		}
		return err
	}
	d.calls.Add(1)
	d.perProvider[provider].acquires.Add(1)
	if err := d.call(ctx, l.Value(), fmt.Sprintf("agent %d asks %s", agent, provider)); err != nil {
		d.broken.Add(1)
		l.Destroy()
		return nil
	}
	l.Release()
	return nil
}

func (d *poolDemo) progress() string {
	s := d.k.Stats().Total
	return fmt.Sprintf("conns=%d in-use=%d waiting=%d", s.Size, s.InUse, s.Waiting)
}

func (d *poolDemo) stop(ctx context.Context) error {
	err := d.k.Close(ctx)
	d.srv.close()
	return err
}

func (d *poolDemo) summary() []row {
	s := d.k.Stats()
	t := s.Total
	var avgWait time.Duration
	if t.Waits > 0 {
		avgWait = t.WaitTime / time.Duration(t.Waits)
	}
	opened, closed := d.opened.Load(), d.closed.Load()
	rows := []row{
		{label: "pool provider calls (broken by the server)", value: fmt.Sprintf("%d (%d)", d.calls.Load(), d.broken.Load())},
		{label: "pool acquires / waits (avg wait) / cancelled", value: fmt.Sprintf("%d / %d (%v) / %d", t.Acquires, t.Waits, avgWait.Round(time.Microsecond), t.CancelledAcquires)},
		{label: "pool connections created / create failures", value: fmt.Sprintf("%d / %d", t.Created, t.CreateFailures)},
		{label: "pool destroyed lifetime/unhealthy/broken/evicted/closed", value: fmt.Sprintf("%d/%d/%d/%d/%d",
			t.Destroyed.Lifetime, t.Destroyed.Unhealthy, t.Destroyed.Broken, t.Destroyed.Evicted, t.Destroyed.Closed)},
		{label: "pool connections closed of opened (must match)", value: fmt.Sprintf("%d of %d", closed, opened), bad: closed != opened || t.Destroyed.Total() != t.Created},
		{label: "pool server drops", value: fmt.Sprint(d.srv.drops.Load())},
	}
	for _, p := range demoProviders {
		c := d.perProvider[p]
		rows = append(rows, row{label: "pool " + p, value: fmt.Sprintf("%d acquires, %d created", c.acquires.Load(), c.created.Load())})
	}
	return rows
}

// flakyServer echoes lines and drops a connection at random.
type flakyServer struct {
	ln    net.Listener
	seed  uint64
	drops atomic.Int64
	wg    sync.WaitGroup

	mu    sync.Mutex // protects following fields
	conns map[net.Conn]struct{}
}

func startFlakyServer(seed uint64) (*flakyServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &flakyServer{ln: ln, seed: seed, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *flakyServer) accept() {
	defer s.wg.Done()
	for i := uint64(0); ; i++ {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c, rand.New(rand.NewPCG(s.seed, i)))
	}
}

func (s *flakyServer) serve(c net.Conn, rng *rand.Rand) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if rng.IntN(40) == 0 {
			s.drops.Add(1)
			return
		}
		if _, err := c.Write([]byte(line)); err != nil {
			return
		}
	}
}

func (s *flakyServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
