package cow_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
	"weak"

	"github.com/patinox/memory/cow"
)

// payload is a published value with some weight.
type payload struct{ buf []byte }

func newPayload() *payload { return &payload{buf: make([]byte, 1<<10)} }

func clonePayload(p *payload) *payload { return &payload{buf: append([]byte(nil), p.buf...)} }

func gone[T any](w weak.Pointer[T]) bool {
	for range 3 {
		runtime.GC()
	}
	return w.Value() == nil
}

// TestReplacedValueIsCollected: a value replaced by a newer publication
// (and the clone of a failed Update) becomes collectable once no reader
// holds it, while the Value or Versioned lives on; with watchers parked
// waiting for the next version, too. Versions must not be chained.
func TestReplacedValueIsCollected(t *testing.T) {
	t.Run("Value", func(t *testing.T) {
		v := cow.New(newPayload(), clonePayload)
		w := weak.Make(v.Load())
		mustOK(t, v.Update(func(p *payload) (*payload, error) { return p, nil }))
		var failed weak.Pointer[payload]
		err := v.Update(func(p *payload) (*payload, error) {
			failed = weak.Make(p)
			return nil, errors.New("rejected")
		})
		if err == nil {
			t.Fatal("Update whose func failed returned nil")
		}
		if !gone(w) {
			t.Error("a replaced value is still reachable")
		}
		if !gone(failed) {
			t.Error("the clone of a failed Update is still reachable")
		}
		runtime.KeepAlive(v)
	})
	t.Run("Versioned", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			vv := cow.NewVersioned(newPayload(), clonePayload)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			seen := make(chan uint64)
			for range 3 { // watchers parked between versions
				go func() {
					for s := range vv.Watch(ctx) {
						seen <- s.Version
					}
				}()
			}
			recv := func(want uint64) {
				t.Helper()
				for range 3 {
					if got := <-seen; got != want {
						t.Fatalf("watcher got version %d, want %d", got, want)
					}
				}
				synctest.Wait() // the watchers are parked again
			}
			recv(1)
			var ws []weak.Pointer[payload]
			for i := range 5 {
				p, _ := vv.Load()
				ws = append(ws, weak.Make(p))
				if i%2 == 0 {
					vv.Store(newPayload())
				} else if _, err := vv.Update(func(p *payload) (*payload, error) { return p, nil }); err != nil {
					t.Fatal(err)
				}
				recv(uint64(i + 2))
			}
			for i, w := range ws {
				if !gone(w) {
					t.Errorf("version %d is still reachable after version %d was published and seen", i+1, len(ws)+1)
				}
			}
			cancel()
			synctest.Wait()
		})
	})
}

// TestEndedWatchIsCollected: a watch that ended (its loop broke, or its
// context ended) leaves nothing that keeps the Versioned reachable from a
// context that lives on: a service's root context outlives every watch.
func TestEndedWatchIsCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root, cancelRoot := context.WithCancel(t.Context())
		defer cancelRoot()
		w := func() weak.Pointer[cow.Versioned[*payload]] {
			vv := cow.NewVersioned(newPayload(), clonePayload)
			for range vv.Watch(root) {
				break // ends the watch; root lives on
			}
			ctx, cancel := context.WithCancel(root)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range vv.Watch(ctx) {
				}
			}()
			synctest.Wait()
			cancel()
			<-done
			return weak.Make(vv)
		}()
		if !gone(w) {
			t.Error("a Versioned whose watches ended is still reachable")
		}
		runtime.KeepAlive(root)
	})
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
