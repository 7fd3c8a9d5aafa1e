package resource_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patinox/memory/resource"
	"github.com/patinox/memory/resource/resourcetest"
)

type leakyConn struct{ id int }

// trackAndDrop tracks n values and drops every guard whose index is odd
// without releasing it (a leak); even ones are released properly.
//
//go:noinline
func trackAndDrop(t *testing.T, r *resource.Registry, n int, cleaned chan<- int) {
	for i := 0; i < n; i++ {
		g, err := resource.Track(r, &leakyConn{id: i}, func(_ context.Context, c *leakyConn) error {
			cleaned <- c.id
			return nil
		}, resource.WithKind("conn"))
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := g.Release(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// gcUntil runs the garbage collector until done reports true, a bounded
// number of times (leak detection needs real collections, so this test
// cannot run in a synctest bubble).
func gcUntil(done func() bool) bool {
	for try := 0; try < 1000; try++ { // at most about 10s, typically a few tries
		if done() {
			return true
		}
		runtime.GC()
		<-time.After(10 * time.Millisecond) // let the runtime's cleanup goroutine and the workers run
	}
	return done()
}

func TestLeakDetected(t *testing.T) {
	for _, lv := range []struct {
		name      string
		opts      resource.Options
		wantStack bool
	}{
		{"all", resource.Options{Leaks: resource.LeaksAll}, true},
		{"sampled", resource.Options{Leaks: resource.LeaksSampled, LeakSampleRate: 1 << 30}, false},
	} {
		t.Run(lv.name, func(t *testing.T) {
			rec := &recorder{}
			lv.opts.Observer = rec
			r := newRegistry(t, &lv.opts)
			const n = 8
			cleaned := make(chan int, n)
			trackAndDrop(t, r, n, cleaned)
			seen := map[int]bool{}
			var mu sync.Mutex
			ok := gcUntil(func() bool {
				mu.Lock()
				defer mu.Unlock()
				for {
					select {
					case id := <-cleaned:
						seen[id] = true
						continue
					default:
					}
					return len(seen) == n && r.Len() == 0 && rec.count(resource.Leaked) == n/2
				}
			})
			if !ok {
				t.Fatalf("after GCs: cleaned %v, live %d, leaked events %d; want all %d cleaned, %d leaks",
					seen, r.Len(), rec.count(resource.Leaked), n, n/2)
			}
			leaks := rec.of(resource.Leaked)
			full := 0
			for _, e := range leaks {
				if e.Kind != "conn" || e.Count < 1 || e.Count > n/2 {
					t.Errorf("leak event %+v", e)
				}
				if e.Stack != "" {
					full++
					if !strings.Contains(e.Stack, "trackAndDrop") {
						t.Errorf("creation stack lacks the caller:\n%s", e.Stack)
					}
				}
			}
			wantFull := 0
			if lv.wantStack {
				wantFull = 1 // de-duplicated: one full report, then counts
			}
			if full != wantFull {
				t.Errorf("%d full leak reports, want %d", full, wantFull)
			}
			if reps := r.LeakReports(); len(reps) != 1 || reps[0].Count != n/2 || reps[0].Kind != "conn" {
				t.Errorf("LeakReports = %+v, want one site with %d leaks", reps, n/2)
			}
			if s := r.Stats(); s.Leaked != n/2 || s.Succeeded != n {
				t.Errorf("Stats leaked %d succeeded %d; want %d %d", s.Leaked, s.Succeeded, n/2, n)
			}
		})
	}
}

// TestLeaksOff: without detection the registry keeps the guard; Shutdown
// still releases it.
func TestLeaksOff(t *testing.T) {
	r, err := resource.NewRegistry(&resource.Options{Leaks: resource.LeaksOff})
	if err != nil {
		t.Fatal(err)
	}
	cleaned := make(chan int, 4)
	trackAndDrop(t, r, 4, cleaned)
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	if r.Len() != 2 || r.Stats().Leaked != 0 {
		t.Errorf("Len %d leaked %d; want 2 live, 0 leaked", r.Len(), r.Stats().Leaked)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(cleaned) != 4 {
		t.Errorf("cleaned %d, want 4", len(cleaned))
	}
}

type fakeT struct {
	msgs []string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func TestVerifyNone(t *testing.T) {
	r := newRegistry(t, nil)
	ft := &fakeT{}
	resourcetest.VerifyNone(ft, r)
	if len(ft.msgs) != 0 {
		t.Errorf("VerifyNone on empty registry reported %v", ft.msgs)
	}
	g, err := resource.Track(r, 1, func(context.Context, int) error { return nil }, resource.WithKind("file"), resource.WithLabels("path", "/tmp/x"))
	if err != nil {
		t.Fatal(err)
	}
	id := mustRegister(t, r, func(context.Context) error { return nil }, resource.WithPriority(resource.Critical))
	resourcetest.VerifyNone(ft, r)
	if len(ft.msgs) != 1 {
		t.Fatalf("VerifyNone reported %d messages, want 1", len(ft.msgs))
	}
	msg := ft.msgs[0]
	for _, want := range []string{g.ID().String(), id.String(), `kind="file"`, "critical", "/tmp/x", "2 resource(s)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("VerifyNone message lacks %q:\n%s", want, msg)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	ft.msgs = nil
	resourcetest.VerifyNone(ft, r)
	if len(ft.msgs) != 0 {
		t.Errorf("VerifyNone after release reported %v", ft.msgs)
	}
}

//go:noinline
func leakParent(t *testing.T, r *resource.Registry, order chan<- string) resource.ID {
	g, err := resource.Track(r, "parent", func(_ context.Context, s string) error { order <- s; return nil },
		resource.WithKind("parent"))
	if err != nil {
		t.Fatal(err)
	}
	return g.ID() // the guard is dropped here: a leak
}

// TestLeakedParentReleasesDependentsFirst: a leaked guard's cleanup still
// runs after the resources that depend on it.
func TestLeakedParentReleasesDependentsFirst(t *testing.T) {
	rec := &recorder{}
	r := newRegistry(t, &resource.Options{Observer: rec})
	order := make(chan string, 2)
	pid := leakParent(t, r, order)
	if _, err := r.Register(func(context.Context) error { order <- "child"; return nil }, resource.DependsOn(pid)); err != nil {
		t.Fatal(err)
	}
	if !gcUntil(func() bool { return len(order) == 2 }) {
		t.Fatalf("leaked parent not cleaned after GCs (%d cleanups ran)", len(order))
	}
	if a, b := <-order, <-order; a != "child" || b != "parent" {
		t.Errorf("order %s, %s; want child, parent", a, b)
	}
	if n := rec.count(resource.Leaked); n != 1 {
		t.Errorf("Leaked events = %d, want 1", n)
	}
}
