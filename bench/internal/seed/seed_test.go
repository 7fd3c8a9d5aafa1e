package seed

import (
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// advance moves the synctest bubble's fake clock forward by d.
func advance(d time.Duration) { <-time.After(d) }

func TestScheduledCleanupsAllRun(t *testing.T) {
	tests := []struct {
		name string
		n    int
	}{
		{name: "one", n: 1},
		{name: "many", n: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := NewRegistry()
				defer r.Close()
				var ran atomic.Int64
				for range tt.n {
					g := NewGuard(1, func(int) error { ran.Add(1); return nil })
					if err := r.Register(g.ID(), Info{TypeName: "int"}); err != nil {
						t.Fatalf("Register: %v", err)
					}
					r.ScheduleCleanup(Request{ID: g.ID(), Cleanup: g.Cleanup, Priority: Normal})
				}
				synctest.Wait()
				if got := ran.Load(); got != int64(tt.n) {
					t.Errorf("cleanups run = %d, want %d", got, tt.n)
				}
				if got := r.CleanupCount(); got != uint32(tt.n) {
					t.Errorf("CleanupCount = %d, want %d", got, tt.n)
				}
				if got := r.ActiveCount(); got != 0 {
					t.Errorf("ActiveCount = %d, want 0", got)
				}
			})
		})
	}
}

func TestIdleWorkerWakesEvery10ms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRegistry()
		defer r.Close()
		synctest.Wait()
		before := r.IdleWakeups()
		advance(time.Second)
		synctest.Wait()
		got := r.IdleWakeups() - before
		if got < 99 || got > 101 {
			t.Errorf("idle wake-ups in 1s = %d, want 100", got)
		}
	})
}

func TestShutdownForgetsQueuedCleanups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRegistry()
		defer r.Close()
		unblock := make(chan struct{})
		var ran atomic.Int64
		r.ScheduleCleanup(Request{Cleanup: func() error { <-unblock; ran.Add(1); return nil }})
		synctest.Wait() // the worker is inside the blocking cleanup
		const queued = 10
		for range queued {
			r.ScheduleCleanup(Request{Cleanup: func() error { ran.Add(1); return nil }})
		}
		done := make(chan struct{})
		go func() { r.Shutdown(); close(done) }()
		synctest.Wait()
		close(unblock)
		<-done
		synctest.Wait()
		if got := ran.Load(); got != 1 {
			t.Errorf("cleanups run = %d, want 1 (the seed forgets the queued ones)", got)
		}
		if got := r.Forgotten(); got != queued {
			t.Errorf("Forgotten = %d, want %d", got, queued)
		}
	})
}

func TestForceCleanupSkipsRealCleanups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRegistry()
		defer r.Close()
		var ran atomic.Int64
		const n = 5
		for range n {
			g := NewGuard("file", func(string) error { ran.Add(1); return nil })
			if err := r.Register(g.ID(), Info{TypeName: "file"}); err != nil {
				t.Fatalf("Register: %v", err)
			}
		}
		count, err := r.ForceCleanupAll()
		if err != nil || count != n {
			t.Fatalf("ForceCleanupAll = %d, %v; want %d, nil", count, err, n)
		}
		synctest.Wait()
		if got := r.ActiveCount(); got != 0 {
			t.Errorf("ActiveCount = %d, want 0", got)
		}
		if got := ran.Load(); got != 0 {
			t.Errorf("real cleanups run = %d, want 0 (the seed's force cleanup is a no-op)", got)
		}
	})
}

func TestPanicKillsWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRegistry()
		defer r.Close()
		r.ScheduleCleanup(Request{Cleanup: func() error { panic("boom") }})
		synctest.Wait()
		if r.WorkerPanic() == nil {
			t.Fatal("WorkerPanic = nil, want the panic")
		}
		if r.ScheduleCleanup(Request{Cleanup: func() error { return nil }}) {
			t.Error("ScheduleCleanup after the worker died = true, want false")
		}
	})
}

func TestFailedCleanupStaysRegistered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRegistry()
		defer r.Close()
		id := GenerateID()
		if err := r.Register(id, Info{TypeName: "conn"}); err != nil {
			t.Fatalf("Register: %v", err)
		}
		r.ScheduleCleanup(Request{ID: id, Cleanup: func() error { return errors.New("refused") }})
		synctest.Wait()
		if got := r.Failures(); got != 1 {
			t.Errorf("Failures = %d, want 1", got)
		}
		if _, ok := r.Info(id); !ok {
			t.Error("Info after a failed cleanup: not found, want still registered")
		}
	})
}

func TestGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ran atomic.Int64
		g := NewGuard(7, func(v int) error { ran.Add(int64(v)); return nil })
		if got := g.Get(); got != 7 {
			t.Errorf("Get = %d, want 7", got)
		}
		if err := g.Cleanup(); err != nil {
			t.Fatalf("Cleanup: %v", err)
		}
		if err := g.Cleanup(); !errors.Is(err, ErrAlreadyCleanedUp) {
			t.Errorf("second Cleanup = %v, want ErrAlreadyCleanedUp", err)
		}
		d := NewGuard(3, func(v int) error { ran.Add(int64(v)); return nil })
		d.Drop()
		synctest.Wait()
		if got := ran.Load(); got != 10 {
			t.Errorf("sum of cleaned values = %d, want 10", got)
		}
		if got := NewGuard(5, func(int) error { ran.Add(100); return nil }).IntoInner(); got != 5 {
			t.Errorf("IntoInner = %d, want 5", got)
		}
		if got := ran.Load(); got != 10 {
			t.Errorf("after IntoInner, sum = %d, want 10 (cleanup must not run)", got)
		}
	})
}

func TestIDString(t *testing.T) {
	id := GenerateID()
	s := id.String()
	if len(s) != 36 || s[14] != '4' {
		t.Errorf("ID.String = %q, want a 36-char UUID v4", s)
	}
	if GenerateID() == id {
		t.Error("two GenerateID calls returned the same ID")
	}
}
