package resource_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/patinox/memory/resource"
	"github.com/patinox/memory/resource/resourcetest"
)

var _ io.Closer = (*resource.Guard[int])(nil)

func TestTrackRelease(t *testing.T) {
	for _, lv := range leakLevels {
		t.Run("leaks="+lv.name, func(t *testing.T) {
			r := newRegistry(t, &resource.Options{Leaks: lv.level})
			var got []int
			g, err := resource.Track(r, 42, func(_ context.Context, v int) error { got = append(got, v); return nil },
				resource.WithKind("answer"), resource.WithSize(8))
			if err != nil {
				t.Fatal(err)
			}
			if g.Value() != 42 {
				t.Errorf("Value() = %d, want 42", g.Value())
			}
			in, ok := r.Info(g.ID())
			if !ok || in.Kind != "answer" || in.Size != 8 || in.State != resource.StateLive || in.Priority != resource.Normal {
				t.Errorf("Info = %+v, %v; want live answer of size 8, normal", in, ok)
			}
			if n := r.Len(); n != 1 {
				t.Errorf("Len = %d, want 1", n)
			}
			if err := g.Release(context.Background()); err != nil {
				t.Fatalf("Release: %v", err)
			}
			if len(got) != 1 || got[0] != 42 {
				t.Errorf("cleanup calls = %v, want [42]", got)
			}
			if err := g.Close(); !errors.Is(err, resource.ErrReleased) {
				t.Errorf("second release: err = %v, want ErrReleased", err)
			}
			if _, err := g.Detach(); !errors.Is(err, resource.ErrReleased) {
				t.Errorf("Detach after release: err = %v, want ErrReleased", err)
			}
			if _, ok := r.Info(g.ID()); ok {
				t.Error("Info found a released resource")
			}
			if err := r.Release(context.Background(), g.ID()); !errors.Is(err, resource.ErrNotFound) {
				t.Errorf("Registry.Release of released id: err = %v, want ErrNotFound", err)
			}
			resourcetest.VerifyNone(t, r)
		})
	}
}

func TestDetach(t *testing.T) {
	rec := &recorder{}
	r := newRegistry(t, &resource.Options{Observer: rec})
	calls := 0
	g, err := resource.Track(r, "v", func(context.Context, string) error { calls++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	v, err := g.Detach()
	if err != nil || v != "v" {
		t.Fatalf("Detach = %q, %v; want v, nil", v, err)
	}
	if err := g.Release(context.Background()); !errors.Is(err, resource.ErrReleased) {
		t.Errorf("Release after Detach: err = %v, want ErrReleased", err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("cleanup ran %d times after Detach, want 0", calls)
	}
	if n := rec.count(resource.Detached); n != 1 {
		t.Errorf("Detached events = %d, want 1", n)
	}
	if s := r.Stats(); s.Detached != 1 || s.Registered != 1 || s.Succeeded != 0 {
		t.Errorf("Stats = %+v; want Registered 1, Detached 1, Succeeded 0", s)
	}
}

func TestRegisterAndReleaseByID(t *testing.T) {
	r := newRegistry(t, nil)
	c := &counter{}
	id := mustRegister(t, r, c.fn("a"), resource.WithLabels("tenant", "t1", "zone", "z"))
	in, ok := r.Info(id)
	if !ok {
		t.Fatal("Info: not found")
	}
	if v, ok := in.Label("zone"); !ok || v != "z" {
		t.Errorf("Label(zone) = %q, %v; want z, true", v, ok)
	}
	if !strings.HasPrefix(id.String(), "#") {
		t.Errorf("ID.String() = %q, want #n", id.String())
	}
	if err := r.Release(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(context.Background(), id); !errors.Is(err, resource.ErrNotFound) {
		t.Errorf("second Release: %v, want ErrNotFound", err)
	}
	if err := r.ReleaseAsync(id); !errors.Is(err, resource.ErrNotFound) {
		t.Errorf("ReleaseAsync of released: %v, want ErrNotFound", err)
	}
	if c.get("a") != 1 {
		t.Errorf("cleanup calls = %d, want 1", c.get("a"))
	}
}

func TestReleaseAsync(t *testing.T) {
	r := newRegistry(t, nil)
	done := make(chan int, 1)
	g, err := resource.Track(r, 7, func(_ context.Context, v int) error { done <- v; return nil })
	if err != nil {
		t.Fatal(err)
	}
	g.ReleaseAsync()
	if v := <-done; v != 7 {
		t.Errorf("cleanup got %d, want 7", v)
	}
	g.ReleaseAsync() // no-op
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := r.Stats(); s.Succeeded != 1 {
		t.Errorf("Succeeded = %d, want 1", s.Succeeded)
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name  string
		opts  resource.Options
		field string
	}{
		{"workers", resource.Options{Workers: -1}, "Options.Workers"},
		{"timeout", resource.Options{CleanupTimeout: -time.Second}, "Options.CleanupTimeout"},
		{"attempts", resource.Options{MaxAttempts: -2}, "Options.MaxAttempts"},
		{"backoff", resource.Options{RetryBackoff: -1}, "Options.RetryBackoff"},
		{"leaks", resource.Options{Leaks: 9}, "Options.Leaks"},
		{"rate", resource.Options{LeakSampleRate: -1}, "Options.LeakSampleRate"},
		{"history", resource.Options{FailureHistory: -1}, "Options.FailureHistory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resource.NewRegistry(&tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("NewRegistry(%+v) err = %v, want one naming %s", tc.opts, err, tc.field)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	r := newRegistry(t, nil)
	nop := func(context.Context) error { return nil }
	tests := []struct {
		name string
		opts []resource.Option
		want string
	}{
		{"priority", []resource.Option{resource.WithPriority(7)}, "WithPriority"},
		{"size", []resource.Option{resource.WithSize(-1)}, "WithSize"},
		{"labels", []resource.Option{resource.WithLabels("k")}, "WithLabels"},
		{"zero", []resource.Option{{}}, "zero Option"},
		{"dep", []resource.Option{resource.DependsOn(12345)}, "DependsOn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.Register(nop, tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Register err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := r.Register(nil); err == nil {
		t.Error("Register(nil) succeeded")
	}
	if _, err := resource.Track[int](nil, 1, func(context.Context, int) error { return nil }); err == nil {
		t.Error("Track(nil registry) succeeded")
	}
	if _, err := resource.Track(r, 1, nil); err == nil {
		t.Error("Track(nil cleanup) succeeded")
	}
	if n := r.Len(); n != 0 {
		t.Errorf("Len after failed registrations = %d, want 0", n)
	}
}

func TestAllAndLen(t *testing.T) {
	r := newRegistry(t, &resource.Options{Leaks: resource.LeaksOff})
	const n = 300
	want := map[resource.ID]bool{}
	for i := 0; i < n; i++ {
		want[mustRegister(t, r, func(context.Context) error { return nil }, resource.WithKind("k"))] = true
	}
	got := 0
	for in := range r.All() {
		if !want[in.ID] {
			t.Errorf("All yielded unknown %v", in.ID)
		}
		got++
	}
	if got != n || r.Len() != n {
		t.Errorf("All yielded %d, Len = %d; want %d", got, r.Len(), n)
	}
	stopped := 0
	for range r.All() {
		stopped++
		if stopped == 3 {
			break
		}
	}
	if stopped != 3 {
		t.Errorf("early break yielded %d", stopped)
	}
	if s := r.Stats(); s.Live != n || s.LiveByKind["k"] != n || s.LiveByPriority[resource.Normal] != n {
		t.Errorf("Stats live = %d, by kind %v, by priority %v; want %d", s.Live, s.LiveByKind, s.LiveByPriority, n)
	}
}

func TestStringers(t *testing.T) {
	tests := []struct{ got, want string }{
		{resource.Critical.String(), "critical"},
		{resource.Low.String(), "low"},
		{resource.Priority(9).String(), "Priority(9)"},
		{resource.LeaksAll.String(), "all"},
		{resource.StateBackoff.String(), "backoff"},
		{resource.PhaseDraining.String(), "draining"},
		{resource.CleanupFailed.String(), "cleanup-failed"},
		{resource.Retry.String(), "retry"},
		{resource.ID(12).String(), "#12"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestTrackErrorReturnsNilGuard(t *testing.T) {
	for _, lv := range leakLevels {
		r := newRegistry(t, &resource.Options{Leaks: lv.level})
		g, err := resource.Track(r, 1, func(context.Context, int) error { return nil }, resource.WithSize(-5))
		if err == nil || g != nil {
			t.Errorf("leaks=%s: Track with a bad option = %v, %v; want nil guard and an error", lv.name, g, err)
		}
	}
}

func TestInfoFields(t *testing.T) {
	r := newRegistry(t, nil)
	p := mustRegister(t, r, func(context.Context) error { return nil })
	id := mustRegister(t, r, func(context.Context) error { return nil }, resource.DependsOn(p), resource.WithTTL(time.Hour),
		resource.WithIdleTimeout(time.Minute), resource.Reclaimable(), resource.WithPriority(resource.Low), resource.WithKind("x"))
	in, ok := r.Info(id)
	if !ok {
		t.Fatal("not found")
	}
	if len(in.DependsOn) != 1 || in.DependsOn[0] != p || in.TTL != time.Hour || in.IdleTimeout != time.Minute ||
		!in.Reclaimable || in.Priority != resource.Low || in.Kind != "x" || in.Created.IsZero() || in.LastTouch.Before(in.Created) {
		t.Errorf("Info = %+v", in)
	}
	in.DependsOn[0] = 0 // a copy: the registry is unaffected
	if again, _ := r.Info(id); again.DependsOn[0] != p {
		t.Error("Info shares its DependsOn slice with the registry")
	}
	if err := r.Release(context.Background(), p); err != nil { // releases id first
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Errorf("Len = %d after releasing the parent, want 0", r.Len())
	}
}

// TestZeroRegistry: a zero or nil Registry (not made by NewRegistry) holds
// nothing; registering in it and shutting it down fail with an error
// naming the Registry, and lookups by ID find nothing, instead of panicking.
func TestZeroRegistry(t *testing.T) {
	nop := func(context.Context) error { return nil }
	for _, tc := range []struct {
		name string
		r    *resource.Registry
	}{{"zero", &resource.Registry{}}, {"nil", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			calls := []struct {
				name    string
				call    func() error
				wantMsg string
				wantIs  error
			}{
				{"Register", func() error { _, err := tc.r.Register(nop); return err }, "Registry", nil},
				{"Track", func() error {
					_, err := resource.Track(tc.r, 1, func(context.Context, int) error { return nil })
					return err
				}, "Registry", nil},
				{"Shutdown", func() error { return tc.r.Shutdown(context.Background()) }, "Registry", nil},
				{"Release", func() error { return tc.r.Release(context.Background(), 1) }, "", resource.ErrNotFound},
				{"ReleaseAsync", func() error { return tc.r.ReleaseAsync(1) }, "", resource.ErrNotFound},
				{"Detach", func() error { return tc.r.Detach(1) }, "", resource.ErrNotFound},
				{"Touch", func() error { return tc.r.Touch(1) }, "", resource.ErrNotFound},
				{"SetSize", func() error { return tc.r.SetSize(1, 1) }, "", resource.ErrNotFound},
			}
			for _, c := range calls {
				var err error
				func() {
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("panic: %v", p)
						}
					}()
					err = c.call()
				}()
				switch {
				case c.wantIs != nil && !errors.Is(err, c.wantIs):
					t.Errorf("%s = %v, want %v", c.name, err, c.wantIs)
				case c.wantIs == nil && (err == nil || !strings.Contains(err.Error(), c.wantMsg) || strings.HasPrefix(err.Error(), "panic")):
					t.Errorf("%s = %v, want an error naming the %s", c.name, err, c.wantMsg)
				}
			}
		})
	}
}
