package cow_test

// Conformance tests: each one checks a promise of the cow contract
// (ARCHITECTURE.md, "### cow") or of this package's doc comments that no
// other test checked.

import (
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/cow"
)

// "Load() never blocks or allocates": for the shapes a Value holds in
// practice (a pointer, a struct with a map, a map), Load and Versioned.Load
// allocate nothing.
func TestConformanceLoadDoesNotAllocate(t *testing.T) {
	type big struct {
		Name  string
		Tags  map[string]string
		Rates [16]float64
	}
	ptr := cow.New(&settings{Limit: 1}, nil)
	st := cow.New(big{Name: "a", Tags: map[string]string{"k": "v"}}, nil)
	mp := cow.New(map[string]int{"a": 1}, maps.Clone[map[string]int])
	vv := cow.NewVersioned(big{Name: "a"}, nil)
	var sinkBig big
	var sinkMap map[string]int
	var sinkVer uint64
	tests := []struct {
		name string
		load func()
	}{
		{name: "Value[*T]", load: func() { sinkSettings = ptr.Load() }},
		{name: "Value[struct]", load: func() { sinkBig = st.Load() }},
		{name: "Value[map]", load: func() { sinkMap = mp.Load() }},
		{name: "Versioned[struct]", load: func() { sinkBig, sinkVer = vv.Load() }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(1000, tt.load); got != 0 {
			t.Errorf("%s: Load allocates %v times per call, want 0", tt.name, got)
		}
	}
	_, _, _ = sinkBig, sinkMap, sinkVer
}

// "Load() never blocks": a writer stuck inside Update's func (or inside the
// clone func) holds the writer lock, yet Load returns at once with the last
// published value. A Load that waited for the writer lock would block on a
// sync.Mutex, which synctest does not count as durably blocked: the bubble
// would hang instead of failing with "deadlock". So a watchdog on the real
// clock, outside the bubble, fails the test binary with every goroutine's
// stack if the test has not finished within loadWatchdog. Checked by
// mutation: Load taking the writer lock makes the watchdog fire.
func TestConformanceLoadNeverBlocksOnWriters(t *testing.T) {
	defer watchdog(t.Name(), loadWatchdog)()
	synctest.Test(t, func(t *testing.T) {
		inClone, inFn, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
		clone := func(c config) config {
			if c.Name == "slow-clone" {
				close(inClone)
				<-release
			}
			return cloneConfig(c)
		}
		v := cow.New(config{Name: "slow-clone", Limit: 1}, clone)
		vv := cow.NewVersioned(config{Name: "v", Limit: 1}, cloneConfig)
		var wg sync.WaitGroup
		wg.Go(func() {
			_ = v.Update(func(c config) (config, error) { c.Name, c.Limit = "b", 2; return c, nil })
		})
		wg.Go(func() {
			_, _ = vv.Update(func(c config) (config, error) {
				close(inFn)
				<-release
				c.Limit = 2
				return c, nil
			})
		})
		<-inClone
		<-inFn
		if got := v.Load(); got.Limit != 1 {
			t.Errorf("Value.Load during a blocked Update = %+v, want the old value (Limit 1)", got)
		}
		if got, ver := vv.Load(); got.Limit != 1 || ver != 1 {
			t.Errorf("Versioned.Load during a blocked Update = %+v, version %d; want Limit 1, version 1", got, ver)
		}
		close(release)
		wg.Wait()
		if got := v.Load(); got.Limit != 2 {
			t.Errorf("Value.Load after the Update = %+v, want Limit 2", got)
		}
		if got, ver := vv.Load(); got.Limit != 2 || ver != 2 {
			t.Errorf("Versioned.Load after the Update = %+v, version %d; want Limit 2, version 2", got, ver)
		}
	})
}

// loadWatchdog bounds TestConformanceLoadNeverBlocksOnWriters in real time:
// its Loads are two atomic loads, so only a blocked Load takes this long.
const loadWatchdog = 10 * time.Second

// watchdog panics, failing the test binary with every goroutine's stack, if
// stop is not called within d of real time. It runs outside any synctest
// bubble, whose goroutines blocked on a sync.Mutex would hang the bubble.
func watchdog(name string, d time.Duration) (stop func() bool) {
	return time.AfterFunc(d, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("%s: not finished after %v: a Load blocked on the writer lock?", name, d))
	}).Stop
}

// "writers serialized": concurrent Updates of one Value lose no update, and
// each func sees the previous one's result (a map that is cloned, so a lost
// clone would show as a missing count).
func TestConformanceValueWritersSerialized(t *testing.T) {
	const writers, perWriter = 8, 200
	v := cow.New(map[int]int{}, maps.Clone[map[int]int])
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range perWriter {
				if err := v.Update(func(m map[int]int) (map[int]int, error) {
					m[w]++
					m[-1]++ // the shared total
					return m, nil
				}); err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := v.Load()
	if got[-1] != writers*perWriter {
		t.Errorf("total = %d, want %d (lost updates)", got[-1], writers*perWriter)
	}
	for w := range writers {
		if got[w] != perWriter {
			t.Errorf("writer %d: %d updates visible, want %d", w, got[w], perWriter)
		}
	}
	if st := v.Stats(); st.Writes != writers*perWriter || st.Clones != writers*perWriter || st.FailedUpdates != 0 {
		t.Errorf("Stats = %+v, want Writes = Clones = %d, FailedUpdates 0", st, writers*perWriter)
	}
}

// "Update/Store return the new version", and a failed Update publishes
// nothing: an error or a panic in Versioned.Update leaves the value and the
// version as they were, returns the current version, wakes no watcher, and
// leaves the writer lock free.
func TestConformanceVersionedFailedUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vv := cow.NewVersioned(config{Name: "a", Tags: map[string]string{"k": "v"}}, cloneConfig)
		snaps := make(chan cow.Snapshot[config], 8)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for s := range vv.Watch(t.Context()) {
				snaps <- s
				if s.Version == 2 {
					return
				}
			}
		}()
		if s := <-snaps; s.Version != 1 {
			t.Fatalf("first snapshot version %d, want 1", s.Version)
		}
		ver, err := vv.Update(func(c config) (config, error) {
			c.Tags["k"] = "bad"
			return c, errInvalid
		})
		if ver != 1 || !errors.Is(err, errInvalid) {
			t.Fatalf("failed Update = %d, %v; want 1, errInvalid", ver, err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("a panic in Update's func did not reach the caller")
				}
			}()
			_, _ = vv.Update(func(c config) (config, error) { c.Tags["k"] = "panic"; panic("boom") })
		}()
		synctest.Wait()
		select {
		case s := <-snaps:
			t.Fatalf("a failed Update woke the watcher with %+v", s)
		default:
		}
		if c, ver := vv.Load(); ver != 1 || c.Tags["k"] != "v" {
			t.Fatalf("after failed Updates Load = %+v, version %d; want the original at version 1", c, ver)
		}
		if ver := vv.Store(config{Name: "b"}); ver != 2 { // the lock is free again
			t.Fatalf("Store after failed Updates = version %d, want 2", ver)
		}
		if s := <-snaps; s.Version != 2 || s.Value.Name != "b" {
			t.Fatalf("watcher got %+v, want version 2 with Name b", s)
		}
		<-done
		if st := vv.Stats(); st.FailedUpdates != 2 || st.Writes != 1 || st.Skipped != 0 {
			t.Errorf("Stats = %+v, want FailedUpdates 2, Writes 1, Skipped 0", st)
		}
	})
}

// Locked.Read: "readers run in parallel", and a writer waits for them:
// a second Read completes while a first one is inside its func, and
// TryWrite fails until both have returned.
func TestConformanceLockedReadersRunInParallel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := cow.NewLocked(map[string]int{"a": 1})
		inRead, release := make(chan struct{}), make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			l.Read(func(map[string]int) {
				close(inRead)
				<-release
			})
		}()
		<-inRead
		var got int
		l.Read(func(m map[string]int) { got = m["a"] }) // a deadlock under synctest if readers excluded each other
		if got != 1 {
			t.Errorf("second Read saw %d, want 1", got)
		}
		if !l.TryRead(func(map[string]int) {}) {
			t.Error("TryRead failed while only a reader held the lock")
		}
		if l.TryWrite(func(*map[string]int) {}) {
			t.Error("TryWrite succeeded while a Read was running")
		}
		close(release)
		<-done
		if !l.TryWrite(func(m *map[string]int) { (*m)["a"] = 2 }) {
			t.Error("TryWrite failed after every reader returned")
		}
		if st := l.Stats(); st.Writes != 1 || st.TryFailed != 1 {
			t.Errorf("Stats = %+v, want Writes 1, TryFailed 1", st)
		}
	})
}

// Stats.Clones counts "calls of the clone func": a Value or Versioned made
// with a nil clone copies by assignment and calls no clone func, so its
// Clones stays 0, while one made with a clone func counts every call.
func TestConformanceClonesCountsCloneCalls(t *testing.T) {
	var calls int
	counting := func(i int) int { calls++; return i }
	tests := []struct {
		name  string
		clone func(int) int
		want  uint64
	}{
		{name: "nil clone", clone: nil, want: 0},
		{name: "clone func", clone: counting, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			v := cow.New(0, tt.clone)
			vv := cow.NewVersioned(0, tt.clone)
			for i := range 3 {
				var err error
				if i == 2 {
					err = errInvalid
				}
				_ = v.Update(func(n int) (int, error) { return n + 1, err })
				_, _ = vv.Update(func(n int) (int, error) { return n + 1, err })
			}
			if got := v.Stats().Clones; got != tt.want {
				t.Errorf("Value Stats().Clones = %d, want %d", got, tt.want)
			}
			if got := vv.Stats().Clones; got != tt.want {
				t.Errorf("Versioned Stats().Clones = %d, want %d", got, tt.want)
			}
			if uint64(calls) != 2*tt.want {
				t.Errorf("clone func called %d times, want %d", calls, 2*tt.want)
			}
		})
	}
}

// A clone func that panics publishes nothing and leaves the writer lock
// free: the panic reaches Update's caller and the next Update proceeds.
func TestConformancePanickingCloneFreesWriters(t *testing.T) {
	boom := true
	clone := func(c config) config {
		if boom {
			panic("clone failed")
		}
		return cloneConfig(c)
	}
	v := cow.New(config{Limit: 1}, clone)
	vv := cow.NewVersioned(config{Limit: 1}, clone)
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: the clone's panic did not reach the caller", name)
			}
		}()
		f()
	}
	inc := func(c config) (config, error) { c.Limit++; return c, nil }
	mustPanic("Value.Update", func() { _ = v.Update(inc) })
	mustPanic("Versioned.Update", func() { _, _ = vv.Update(inc) })
	if got := v.Load(); got.Limit != 1 {
		t.Errorf("Value after a panicking clone = %+v, want Limit 1", got)
	}
	boom = false
	if err := v.Update(inc); err != nil || v.Load().Limit != 2 {
		t.Errorf("Value.Update after a panicking clone = %v, Load %+v; want nil, Limit 2", err, v.Load())
	}
	if ver, err := vv.Update(inc); err != nil || ver != 2 {
		t.Errorf("Versioned.Update after a panicking clone = %d, %v; want 2, nil", ver, err)
	}
}
