package resource_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patinox/memory/resource"
)

// TestExactlyOnceUnderRaces: many goroutines race every kind of releaser
// over the same resources; each cleanup runs at most once, and after
// Shutdown every resource was either cleaned exactly once or detached.
func TestExactlyOnceUnderRaces(t *testing.T) {
	for _, tc := range []struct {
		name  string
		leaks resource.LeakLevel
		plain bool // no options but a size: LeaksOff entries are recycled
	}{
		{"leaks=sampled", resource.LeaksSampled, false},
		{"leaks=off", resource.LeaksOff, false},
		{"leaks=off/recycled", resource.LeaksOff, true},
	} {
		t.Run(tc.name, func(t *testing.T) { exactlyOnceUnderRaces(t, tc.leaks, tc.plain) })
	}
}

func exactlyOnceUnderRaces(t *testing.T, leaks resource.LeakLevel, plain bool) {
	const n = 400
	r, err := resource.NewRegistry(&resource.Options{Workers: 4, Leaks: leaks})
	if err != nil {
		t.Fatal(err)
	}
	calls := make([]atomic.Int32, n)
	guards := make([]*resource.Guard[int], n)
	for i := range guards {
		opts := []resource.Option{resource.Reclaimable(), resource.WithSize(1)}
		if plain {
			opts = []resource.Option{resource.WithSize(1)}
		} else if i%5 == 0 {
			opts = append(opts, resource.WithTTL(time.Duration(i%7)*time.Microsecond+time.Nanosecond))
		}
		g, err := resource.Track(r, i, func(_ context.Context, v int) error { calls[v].Add(1); return nil }, opts...)
		if err != nil {
			t.Fatal(err)
		}
		guards[i] = g
	}
	var detached [n]atomic.Bool
	var wg sync.WaitGroup
	racers := []func(i int){
		func(i int) { checkLost(t, guards[i].Release(context.Background())) },
		func(i int) { guards[i].ReleaseAsync() },
		func(i int) { checkLost(t, r.Release(context.Background(), guards[i].ID())) },
		func(i int) { checkLost(t, r.ReleaseAsync(guards[i].ID())) },
		func(i int) {
			if _, err := guards[i].Detach(); err == nil {
				detached[i].Store(true)
			} else {
				checkLost(t, err)
			}
		},
		func(i int) {
			id := guards[i].ID()
			_ = r.ReleaseMatching(context.Background(), func(in resource.Info) bool { return in.ID == id })
		},
	}
	for _, race := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				race(i)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = r.Reclaim(context.Background(), n/3)
	}()
	// Readers by ID and snapshots, racing entries being recycled.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			id := guards[i].ID()
			if in, ok := r.Info(id); ok && in.ID != id {
				t.Errorf("Info(%v) described %v", id, in.ID)
			}
			_ = r.Touch(id)
			guards[i].Touch()
			for in := range r.All() {
				_ = in.Kind
			}
		}
	}()
	// Fresh resources that may get the racers' recycled entries: each is
	// cleaned exactly once, by its own Release.
	var churned atomic.Int32
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2*n; i++ {
			var c atomic.Int32
			g, err := resource.Track(r, i, func(context.Context, int) error { c.Add(1); return nil }, resource.WithKind("churn"))
			if err != nil {
				t.Error(err)
				return
			}
			if err := g.Release(context.Background()); err != nil || c.Load() != 1 {
				t.Errorf("churn resource %d: Release %v, cleaned %d times, want nil and 1", i, err, c.Load())
			}
			churned.Add(1)
		}
	}()
	wg.Wait()
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var cleaned, det uint64
	for i := range calls {
		c := calls[i].Load()
		switch {
		case detached[i].Load() && c != 0:
			t.Errorf("resource %d detached and cleaned %d times", i, c)
		case !detached[i].Load() && c != 1:
			t.Errorf("resource %d cleaned %d times, want 1", i, c)
		}
		cleaned += uint64(c)
		if detached[i].Load() {
			det++
		}
	}
	s := r.Stats()
	ch := uint64(churned.Load())
	if s.Succeeded != cleaned+ch || s.Detached != det || s.Registered != n+ch || s.Live != 0 {
		t.Errorf("Stats %+v; want succeeded %d detached %d registered %d", s, cleaned+ch, det, n+ch)
	}
}

func checkLost(t *testing.T, err error) {
	if err != nil && !errors.Is(err, resource.ErrReleased) && !errors.Is(err, resource.ErrNotFound) {
		t.Errorf("losing releaser got %v, want nil, ErrReleased or ErrNotFound", err)
	}
}

// TestRegisterDuringShutdown: registrations with dependencies race a
// Shutdown. Every registration that succeeded is cleaned exactly once, in
// dependency order; every one that failed is never cleaned. With an
// observer (whose Registered event holds a new resource back from being
// claimed, see Observer), each registered resource's events begin with
// Registered and end with Released.
func TestRegisterDuringShutdown(t *testing.T) {
	t.Run("observer=none", func(t *testing.T) { registerDuringShutdown(t, nil) })
	t.Run("observer=recorder", func(t *testing.T) { registerDuringShutdown(t, &recorder{}) })
}

func registerDuringShutdown(t *testing.T, obs *recorder) {
	o := &resource.Options{Workers: 4}
	if obs != nil {
		o.Observer = obs
	}
	r, err := resource.NewRegistry(o)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		calls      atomic.Int32
		start, end atomic.Int64
		parent     *rec
	}
	var clock atomic.Int64
	var mu sync.Mutex
	var ok []*rec
	var okIDs []resource.ID
	var failed []*rec
	register := func(parent *rec, parentID resource.ID) (*rec, resource.ID, error) {
		x := &rec{parent: parent}
		var opts []resource.Option
		if parent != nil {
			opts = append(opts, resource.DependsOn(parentID))
		}
		id, err := r.Register(func(context.Context) error {
			x.start.Store(clock.Add(1))
			x.calls.Add(1)
			x.end.Store(clock.Add(1))
			return nil
		}, opts...)
		return x, id, err
	}
	started := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				if i == 50 && g == 0 {
					close(started)
				}
				var parent *rec
				var pid resource.ID
				mu.Lock()
				if n := len(ok); n > 0 && i%3 != 0 {
					k := (i * 7919) % n
					parent, pid = ok[k], okIDs[k]
				}
				mu.Unlock()
				x, id, err := register(parent, pid)
				mu.Lock()
				if err == nil {
					ok, okIDs = append(ok, x), append(okIDs, id)
				} else {
					failed = append(failed, x)
				}
				mu.Unlock()
				if errors.Is(err, resource.ErrShuttingDown) {
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // releases random registered resources, racing registrations of their dependents
		defer wg.Done()
		for i := 0; i < 300; i++ {
			mu.Lock()
			var id resource.ID
			if n := len(okIDs); n > 0 {
				id = okIDs[(i*104729)%n]
			}
			mu.Unlock()
			if id != 0 {
				_ = r.ReleaseAsync(id)
			}
		}
	}()
	<-started
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, x := range ok {
		if c := x.calls.Load(); c != 1 {
			t.Fatalf("registered resource %v cleaned %d times", okIDs[i], c)
		}
		if p := x.parent; p != nil && x.end.Load() > p.start.Load() {
			t.Errorf("%v ended at %d after its parent started at %d", okIDs[i], x.end.Load(), p.start.Load())
		}
	}
	for _, x := range failed {
		if c := x.calls.Load(); c != 0 {
			t.Fatalf("failed registration cleaned %d times", c)
		}
	}
	if s := r.Stats(); s.Registered != uint64(len(ok)) || s.Succeeded != uint64(len(ok)) {
		t.Errorf("Stats registered %d succeeded %d; want %d", s.Registered, s.Succeeded, len(ok))
	}
	if obs != nil {
		events := map[resource.ID][]resource.EventType{}
		obs.mu.Lock()
		defer obs.mu.Unlock()
		for _, e := range obs.events {
			if e.ID != 0 {
				events[e.ID] = append(events[e.ID], e.Type)
			}
		}
		for _, id := range okIDs {
			if ev := events[id]; len(ev) != 2 || ev[0] != resource.Registered || ev[1] != resource.Released {
				t.Errorf("events of %v: %v, want [registered released]", id, ev)
			}
		}
	}
	t.Logf("%d registered, %d refused", len(ok), len(failed))
}

// TestRecycleDuringShutdown: with LeaksOff, goroutines track and release
// plain resources (whose entries are recycled) while others stay live, and
// Shutdown begins in the middle. Every Track that succeeded is cleaned
// exactly once (by its Release or by Shutdown), every one that failed never,
// and Shutdown reports nothing.
func TestRecycleDuringShutdown(t *testing.T) {
	r, err := resource.NewRegistry(&resource.Options{Leaks: resource.LeaksOff, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	type res struct {
		calls   atomic.Int32
		tracked bool
	}
	const workers, perWorker = 4, 300
	all := make([][]*res, workers)
	start, midway := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			for i := range perWorker {
				if w == 0 && i == perWorker/3 {
					close(midway)
				}
				x := &res{}
				all[w] = append(all[w], x)
				g, err := resource.Track(r, x, func(_ context.Context, x *res) error { x.calls.Add(1); return nil }, resource.WithSize(1))
				if err != nil {
					if !errors.Is(err, resource.ErrShuttingDown) {
						t.Errorf("Track: %v", err)
					}
					continue
				}
				x.tracked = true
				if i%3 == 0 {
					continue // left for Shutdown
				}
				if err := g.Release(context.Background()); err != nil && !errors.Is(err, resource.ErrReleased) {
					t.Errorf("Release: %v", err)
				}
			}
		})
	}
	close(start)
	<-midway
	if err := r.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	wg.Wait()
	var tracked int
	for _, xs := range all {
		for _, x := range xs {
			want := int32(0)
			if x.tracked {
				want, tracked = 1, tracked+1
			}
			if got := x.calls.Load(); got != want {
				t.Fatalf("resource (tracked %v) cleaned %d times, want %d", x.tracked, got, want)
			}
		}
	}
	if s := r.Stats(); s.Registered != uint64(tracked) || s.Succeeded != uint64(tracked) || s.Live != 0 {
		t.Errorf("Stats %+v; want %d registered and succeeded, none live", s, tracked)
	}
	if tracked < perWorker/3 || tracked == workers*perWorker {
		t.Logf("Shutdown did not land mid-run (%d of %d tracked); the race was not exercised", tracked, workers*perWorker)
	}
}
