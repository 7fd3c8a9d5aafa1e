package resource_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestObserverReleasesGrandparentOnReleased: the scheduler releases P
// (ReleaseAsync) after its dependent C; an observer that reacts to C's
// Released event by releasing Q, which P depends on, must not deadlock.
// Q's Release must wait for P, which the scheduler owns; P starts once C
// has finished. On a0c431f finish delivers C's Released event before it
// resumes P (to order the events), so P cannot start before Observe
// returns, and Observe waits in Release(Q) for P. With
// context.Background() it hangs forever, whatever the number of workers;
// the Release gets a 1 s deadline so that the deadlock shows as an error.
func TestObserverReleasesGrandparentOnReleased(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			r      *resource.Registry
			q      resource.ID
			relErr = make(chan error, 1)
		)
		obs := resource.ObserverFunc(func(e resource.Event) {
			if e.Type == resource.Released && e.Kind == "C" {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				relErr <- r.Release(ctx, q)
			}
		})
		var err error
		r, err = resource.NewRegistry(&resource.Options{Workers: 4, Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := r.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		}()
		nop := func(context.Context) error { return nil }
		if q, err = r.Register(nop, resource.WithKind("Q")); err != nil {
			t.Fatal(err)
		}
		p, err := r.Register(nop, resource.WithKind("P"), resource.DependsOn(q))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Register(nop, resource.WithKind("C"), resource.DependsOn(p)); err != nil {
			t.Fatal(err)
		}
		if err := r.ReleaseAsync(p); err != nil {
			t.Fatal(err)
		}
		if err := <-relErr; err != nil {
			t.Errorf("Release(Q) from Observe(Released C) = %v, want nil", err)
		}
		synctest.Wait()
		if n := r.Len(); n != 0 {
			t.Errorf("Len() = %d after the releases, want 0", n)
		}
	})
}

// TestPanickingObserverDoesNotHoldResource: an Observer must not panic,
// but one that does on a Registered event, on the registering goroutine
// (whose caller may recover, as net/http does for a handler), must not
// leave the new resource held for ever. On a0c431f the panic skips goLive:
// the entry stays in state stHeld, which only a release by its ID can
// claim, and its ID was never returned. Shutdown passes it by and waits
// for it: with context.Background() it hangs for ever, and the cleanup
// never runs. (Before the Registered event was held back, the resource was
// live when Observe panicked, and Shutdown released it.) Shutdown gets a
// 1 s deadline so that the hang shows as an error.
func TestPanickingObserverDoesNotHoldResource(t *testing.T) {
	for _, deps := range []bool{false, true} {
		t.Run(fmt.Sprintf("DependsOn=%v", deps), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				obs := resource.ObserverFunc(func(e resource.Event) {
					if e.Type == resource.Registered && e.Kind == "boom" {
						panic("observer bug")
					}
				})
				r, err := resource.NewRegistry(&resource.Options{Observer: obs})
				if err != nil {
					t.Fatal(err)
				}
				var opts []resource.Option
				if deps {
					parent, err := r.Register(func(context.Context) error { return nil })
					if err != nil {
						t.Fatal(err)
					}
					opts = append(opts, resource.DependsOn(parent))
				}
				cleaned := make(chan struct{})
				func() {
					defer func() { _ = recover() }()
					_, _ = r.Register(func(context.Context) error { close(cleaned); return nil },
						append(opts, resource.WithKind("boom"))...)
				}()
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := r.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown after an Observe panic: %v; want nil", err)
				}
				select {
				case <-cleaned:
				default:
					t.Error("the cleanup of the resource whose Registered event panicked never ran")
				}
			})
		})
	}
}
