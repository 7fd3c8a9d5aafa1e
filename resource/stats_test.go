package resource_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/patinox/memory/resource"
)

// TestLatencyPercentiles: worker-run cleanups of known durations give
// percentiles within the histogram's 25% resolution.
func TestLatencyPercentiles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRegistry(t, &resource.Options{Workers: 100})
		for i := 1; i <= 100; i++ {
			d := time.Duration(i) * time.Millisecond
			id := mustRegister(t, r, func(context.Context) error { advance(d); return nil })
			if err := r.ReleaseAsync(id); err != nil {
				t.Fatal(err)
			}
		}
		advance(time.Second)
		s := r.Stats()
		for _, c := range []struct {
			name string
			got  time.Duration
			want time.Duration
		}{{"p50", s.CleanupP50, 50 * time.Millisecond}, {"p90", s.CleanupP90, 90 * time.Millisecond}, {"p99", s.CleanupP99, 99 * time.Millisecond}} {
			if c.got < c.want*3/4 || c.got > c.want*5/4 {
				t.Errorf("%s = %v, want about %v", c.name, c.got, c.want)
			}
		}
	})
}

func TestFailuresBounded(t *testing.T) {
	r := newRegistry(t, &resource.Options{FailureHistory: 3, MaxAttempts: 1})
	var ids []resource.ID
	for i := 0; i < 5; i++ {
		id := mustRegister(t, r, func(context.Context) error { return errBoom })
		ids = append(ids, id)
		if err := r.Release(context.Background(), id); !errors.Is(err, errBoom) {
			t.Fatalf("Release = %v", err)
		}
	}
	f := r.Failures()
	if len(f) != 3 || f[0].ID != ids[2] || f[2].ID != ids[4] {
		t.Errorf("Failures = %v, want the last three, oldest first", f)
	}
	h := r.Health()
	if h.Failed != 5 || len(h.RecentFailures) != 3 {
		t.Errorf("Health failed %d recent %d; want 5 3", h.Failed, len(h.RecentFailures))
	}
	if s := r.Stats(); s.Failed != 5 {
		t.Errorf("Stats.Failed = %d, want 5", s.Failed)
	}
}

func TestEventsAndSlog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &recorder{}
	r := newRegistry(t, &resource.Options{Observer: rec, Logger: logger, MaxAttempts: 1})
	g, err := resource.Track(r, 1, func(context.Context, int) error { return nil }, resource.WithKind("k"), resource.WithSize(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	id := mustRegister(t, r, func(context.Context) error { return errBoom }, resource.WithKind("bad"))
	_ = r.Release(context.Background(), id)
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []resource.EventType{resource.Registered, resource.Released, resource.Registered, resource.CleanupFailed,
		resource.GaveUp, resource.ShutdownStarted, resource.ShutdownDone}
	rec.mu.Lock()
	var got []resource.EventType
	for _, e := range rec.events {
		got = append(got, e.Type)
	}
	first := rec.events[0]
	rec.mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %v, want %v", i, got[i], want[i])
		}
	}
	if first.ID != g.ID() || first.Kind != "k" || first.Size != 3 || first.Time.IsZero() {
		t.Errorf("Registered event = %+v", first)
	}
	out := buf.String()
	for _, s := range []string{"resource registered", "resource gave-up", "kind=bad", "err=", "level=WARN", "resource shutdown-done"} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %q:\n%s", s, out)
		}
	}
}

func TestHealthPhases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := resource.NewRegistry(nil)
		if err != nil {
			t.Fatal(err)
		}
		gate := make(chan struct{})
		mustRegister(t, r, func(context.Context) error { <-gate; return nil })
		done := make(chan error)
		go func() { done <- r.Shutdown(context.Background()) }()
		synctest.Wait()
		if h := r.Health(); h.Phase != resource.PhaseDraining || h.Running != 1 || h.Live != 1 {
			t.Errorf("Health during shutdown = %+v", h)
		}
		close(gate)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if h := r.Health(); h.Phase != resource.PhaseStopped || h.Live != 0 {
			t.Errorf("Health after = %+v", h)
		}
	})
}

// TestSetSize: a new size shows in Info and is what Reclaim frees; unknown
// IDs and negative sizes are errors.
func TestSetSize(t *testing.T) {
	r := newRegistry(t, nil)
	ctx := context.Background()
	id, err := r.Register(func(context.Context) error { return nil }, resource.WithSize(10), resource.Reclaimable())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetSize(id, 1000); err != nil {
		t.Fatal(err)
	}
	if in, _ := r.Info(id); in.Size != 1000 {
		t.Errorf("Info.Size = %d after SetSize(1000)", in.Size)
	}
	if err := r.SetSize(id, -1); err == nil || !strings.Contains(err.Error(), "size must be >= 0") {
		t.Errorf("SetSize(-1) = %v, want an error naming the size", err)
	}
	freed, err := r.Reclaim(ctx, 1)
	if err != nil || freed != 1000 {
		t.Errorf("Reclaim = %d, %v; want 1000, nil", freed, err)
	}
	if err := r.SetSize(id, 5); !errors.Is(err, resource.ErrNotFound) {
		t.Errorf("SetSize on a released resource = %v, want ErrNotFound", err)
	}
}
