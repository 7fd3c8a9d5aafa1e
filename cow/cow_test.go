package cow_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/cow"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type config struct {
	Name  string
	Limit int
	Tags  map[string]string
}

func cloneConfig(c config) config {
	c.Tags = maps.Clone(c.Tags)
	return c
}

var errInvalid = errors.New("invalid")

func TestValueUpdate(t *testing.T) {
	v := cow.New(config{Name: "a", Limit: 1, Tags: map[string]string{"k": "v"}}, cloneConfig)
	before := v.Load()
	err := v.Update(func(c config) (config, error) {
		c.Limit = 2
		c.Tags["k"] = "w"
		return c, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := v.Load(); got.Limit != 2 || got.Tags["k"] != "w" {
		t.Fatalf("after Update Load = %+v, want Limit 2, tag w", got)
	}
	if before.Tags["k"] != "v" {
		t.Fatal("Update changed a value a reader already loaded: the clone shares the map")
	}
	err = v.Update(func(c config) (config, error) {
		c.Limit = -1
		c.Tags["k"] = "bad"
		return c, errInvalid
	})
	if !errors.Is(err, errInvalid) {
		t.Fatalf("failing Update err = %v, want errInvalid", err)
	}
	if got := v.Load(); got.Limit != 2 || got.Tags["k"] != "w" {
		t.Fatalf("a failed Update published something: %+v", got)
	}
	func() {
		defer func() { _ = recover() }()
		_ = v.Update(func(c config) (config, error) { panic("boom") })
	}()
	if err := v.Update(func(c config) (config, error) { c.Limit++; return c, nil }); err != nil {
		t.Fatalf("Update after a panicking one: %v", err)
	}
	want := cow.Stats{Writes: 2, FailedUpdates: 2, Clones: 4}
	if got := v.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

func TestZeroLocked(t *testing.T) {
	var l cow.Locked[[]int]
	l.Write(func(s *[]int) { *s = append(*s, 1) })
	l.Read(func(s []int) {
		if len(s) != 1 {
			t.Fatalf("zero Locked after Write holds %v", s)
		}
	})
}

func TestNilCloneCopiesByAssignment(t *testing.T) {
	v := cow.New([2]int{1, 2}, nil)
	old := v.Load()
	if err := v.Update(func(a [2]int) ([2]int, error) { a[0] = 9; return a, nil }); err != nil {
		t.Fatal(err)
	}
	if got := v.Load(); got != [2]int{9, 2} || old != [2]int{1, 2} {
		t.Fatalf("Load = %v (old %v), want [9 2] (old [1 2])", got, old)
	}
}

func TestVersionedStoreUpdate(t *testing.T) {
	vv := cow.NewVersioned(10, nil)
	if v, ver := vv.Load(); v != 10 || ver != 1 {
		t.Fatalf("Load = %d, %d; want 10, 1", v, ver)
	}
	if ver := vv.Store(20); ver != 2 {
		t.Fatalf("Store version = %d, want 2", ver)
	}
	ver, err := vv.Update(func(i int) (int, error) { return i + 1, nil })
	if ver != 3 || err != nil {
		t.Fatalf("Update = %d, %v; want 3, nil", ver, err)
	}
	ver, err = vv.Update(func(i int) (int, error) { return 0, errInvalid })
	if ver != 3 || !errors.Is(err, errInvalid) {
		t.Fatalf("failed Update = %d, %v; want 3, errInvalid", ver, err)
	}
	if v, ver := vv.Load(); v != 21 || ver != 3 {
		t.Fatalf("Load = %d, %d; want 21, 3", v, ver)
	}
}

// A watcher stuck in its loop body blocks no writer, and when it comes back
// it gets the newest version at once, with the skipped ones counted.
func TestSlowWatcherNeverBlocksWriters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vv := cow.NewVersioned(0, nil)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		first, resume := make(chan cow.Snapshot[int]), make(chan struct{})
		seen := make(chan cow.Snapshot[int], 16)
		go func() {
			defer close(seen)
			for s := range vv.Watch(ctx) {
				if s.Version == 1 {
					first <- s
					<-resume // a slow consumer
					continue
				}
				seen <- s
			}
		}()
		<-first
		for i := 1; i <= 100; i++ {
			vv.Store(i) // would deadlock under synctest if a watcher blocked it
		}
		close(resume)
		if s := <-seen; s.Version != 101 || s.Value != 100 {
			t.Fatalf("after the slow step the watcher got %+v, want version 101 value 100", s)
		}
		synctest.Wait()
		select {
		case s := <-seen:
			t.Fatalf("watcher got an extra snapshot %+v", s)
		default:
		}
		cancel()
		if _, ok := <-seen; ok {
			t.Fatal("watcher did not end with its context")
		}
		if st := vv.Stats(); st.Delivered != 2 || st.Skipped != 99 || st.Writes != 100 {
			t.Fatalf("Stats = %+v, want Delivered 2, Skipped 99, Writes 100", st)
		}
	})
}

func TestWatchEndsWithContextAndBreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vv := cow.NewVersioned("a", nil)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				for range vv.Watch(ctx) {
				}
			})
		}
		wg.Go(func() {
			for s := range vv.Watch(t.Context()) {
				if s.Version == 2 {
					break
				}
			}
		})
		synctest.Wait() // all four wait for a change
		vv.Store("b")
		synctest.Wait() // the breaking watcher is gone
		cancel()
		wg.Wait()
	})
}

func TestLockedTry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := cow.NewLocked(map[string]int{})
		inWrite, release := make(chan struct{}), make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			l.Write(func(m *map[string]int) {
				(*m)["a"] = 1
				close(inWrite)
				<-release
			})
		}()
		<-inWrite
		if l.TryRead(func(map[string]int) {}) {
			t.Fatal("TryRead succeeded during a Write")
		}
		if l.TryWrite(func(*map[string]int) {}) {
			t.Fatal("TryWrite succeeded during a Write")
		}
		close(release)
		<-done
		var got int
		if !l.TryRead(func(m map[string]int) { got = m["a"] }) || got != 1 {
			t.Fatalf("TryRead after the Write: got %d", got)
		}
		if !l.TryWrite(func(m *map[string]int) { (*m)["a"]++ }) {
			t.Fatal("TryWrite on a free lock failed")
		}
		l.Read(func(m map[string]int) { got = m["a"] })
		if got != 2 {
			t.Fatalf("Read = %d, want 2", got)
		}
		if st := l.Stats(); st.Writes != 2 || st.TryFailed != 2 {
			t.Fatalf("Stats = %+v, want Writes 2, TryFailed 2", st)
		}
	})
}
