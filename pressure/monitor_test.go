package pressure

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeRuntime is an injected runtime/metrics reader.
type fakeRuntime struct {
	used, limit, limiter atomic.Uint64
}

func (f *fakeRuntime) read(s *runtimeStats) {
	lim := f.limit.Load()
	if lim == 0 {
		lim = math.MaxInt64
	}
	used := f.used.Load()
	// 1000 bytes of released heap and 500 of free heap do not count; all
	// objects are live.
	*s = runtimeStats{total: used + 1500, released: 1000, free: 500, objects: used, live: used,
		limit: lim, limiterCycle: f.limiter.Load()}
}

// recorder collects the levels a subscriber was called with.
type recorder struct {
	mu     sync.Mutex
	levels []Level
}

func (r *recorder) add(l Level) { r.mu.Lock(); r.levels = append(r.levels, l); r.mu.Unlock() }
func (r *recorder) got() []Level {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Level(nil), r.levels...)
}

func newFakeMonitor(t *testing.T, f *fakeRuntime, o Options) *Monitor {
	t.Helper()
	o.readRuntime = f.read
	o.Disable |= SourcePSI // a goroutine blocked in poll(2) is not durably blocked for synctest
	if o.CgroupDir == "" {
		o.Disable |= SourceCgroup
	}
	m, err := NewMonitor(&o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestMonitorRuntimeLevels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRuntime{}
		f.limit.Store(1000)
		f.used.Store(100)
		m := newFakeMonitor(t, f, Options{Interval: time.Second, Calm: 5 * time.Second})
		var rec recorder
		defer m.Subscribe(rec.add)()
		if got := m.Level(); got != Normal {
			t.Fatalf("initial level %v, want normal", got)
		}

		f.used.Store(870)
		advance(time.Second)
		synctest.Wait()
		if got := m.Level(); got != High {
			t.Fatalf("at 87%%: level %v, want high", got)
		}
		r := m.Reading()
		if r.Used != 870 || r.Limit != 1000 || r.LimitSource != "GOMEMLIMIT" {
			t.Errorf("reading used=%d limit=%d source=%q, want 870, 1000, GOMEMLIMIT", r.Used, r.Limit, r.LimitSource)
		}

		f.used.Store(100)
		advance(30 * time.Second)
		synctest.Wait()
		if got := m.Level(); got != Normal {
			t.Fatalf("after calm: level %v, want normal", got)
		}
		want := []Level{High, Moderate, Normal}
		if got := rec.got(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("subscriber saw %v, want %v", got, want)
		}
	})
}

func TestMonitorExplicitLimitWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRuntime{}
		f.limit.Store(10_000)
		f.used.Store(960)
		m := newFakeMonitor(t, f, Options{Limit: 1000})
		if got := m.Level(); got != Critical {
			t.Errorf("level %v, want critical (960 of an explicit 1000)", got)
		}
		if r := m.Reading(); r.LimitSource != "Options.Limit" || r.GoMemLimit != 10_000 {
			t.Errorf("LimitSource %q GoMemLimit %d, want Options.Limit and 10000", r.LimitSource, r.GoMemLimit)
		}
	})
}

func TestMonitorGCLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRuntime{}
		f.limit.Store(1000)
		f.limiter.Store(3) // enabled before the monitor started: not news
		m := newFakeMonitor(t, f, Options{Interval: time.Second})
		if got := m.Level(); got != Normal {
			t.Fatalf("level %v, want normal", got)
		}
		f.limiter.Store(4)
		advance(time.Second)
		synctest.Wait()
		if got := m.Level(); got != Critical {
			t.Errorf("after the GC CPU limiter switched on: level %v, want critical", got)
		}
	})
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func events(high, maxN, oom int) string {
	return fmt.Sprintf("low 0\nhigh %d\nmax %d\noom %d\noom_kill 0\noom_group_kill 0\n", high, maxN, oom)
}

func TestMonitorCgroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			"memory.current": "300\n", "memory.max": "1000\n", "memory.high": "max\n",
			"memory.events": events(2, 0, 0), "memory.stat": "anon 200\ninactive_file 100\nactive_file 0\n",
		})
		f := &fakeRuntime{} // no GOMEMLIMIT: the cgroup's limit applies
		f.used.Store(100)
		m := newFakeMonitor(t, f, Options{Interval: time.Second, Calm: 5 * time.Second, CgroupDir: dir})
		r := m.Reading()
		if !r.HasCgroup || r.Limit != 900 || r.LimitSource != "cgroup memory.max" {
			t.Fatalf("reading HasCgroup=%v Limit=%d source=%q, want true, 900, cgroup memory.max (notes %q)", r.HasCgroup, r.Limit, r.LimitSource, r.Notes)
		}
		if m.Level() != Normal {
			t.Fatalf("level %v with old high events, want normal", m.Level())
		}

		tick := func() { advance(time.Second); synctest.Wait() }
		writeFiles(t, dir, map[string]string{"memory.events": events(3, 0, 0)})
		tick()
		if got := m.Level(); got != High {
			t.Fatalf("after a new memory.high event: %v, want high", got)
		}
		writeFiles(t, dir, map[string]string{"memory.events": events(3, 0, 1)})
		tick()
		if got := m.Level(); got != Critical {
			t.Fatalf("after an oom event: %v, want critical", got)
		}

		// A container resize is followed: the cgroup ratio is (current - inactive_file) / min(high, max).
		writeFiles(t, dir, map[string]string{"memory.max": "2000\n", "memory.high": "1000\n", "memory.current": "980\n"})
		advance(time.Minute)
		synctest.Wait()
		r = m.Reading()
		if r.Cgroup.Max != 2000 || r.Cgroup.High != 1000 || r.Limit != 1800 {
			t.Errorf("after resize: max %d high %d limit %d, want 2000, 1000, 1800", r.Cgroup.Max, r.Cgroup.High, r.Limit)
		}
		if got := m.Level(); got != High { // 880/1000: below Critical's exit (0.90), holds High
			t.Errorf("at 88%% of memory.high: %v, want high", got)
		}
	})
}

func TestMonitorMissingSourcesAreNotes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRuntime{}
		m := newFakeMonitor(t, f, Options{CgroupDir: filepath.Join(t.TempDir(), "absent")})
		notes := strings.Join(m.Reading().Notes, "; ")
		if !strings.Contains(notes, "cgroup v2 skipped") {
			t.Errorf("notes %q do not mention the missing cgroup", notes)
		}
	})
}

func TestSetCoalescesPerSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRuntime{}
		m := newFakeMonitor(t, f, Options{Interval: time.Second, Calm: time.Hour})
		var fast, slow recorder
		release := make(chan struct{})
		defer m.Subscribe(fast.add)()
		defer m.Subscribe(func(l Level) { <-release; slow.add(l) })()

		for _, l := range []Level{Moderate, High, Critical, High} {
			if err := m.Set(l); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		if got := fast.got(); fmt.Sprint(got) != "[moderate]" {
			t.Fatalf("within one interval the fast subscriber saw %v, want [moderate]", got)
		}
		advance(time.Second)
		synctest.Wait()
		if got := fast.got(); fmt.Sprint(got) != "[moderate high]" {
			t.Fatalf("after one interval the fast subscriber saw %v, want [moderate high] (newest wins)", got)
		}
		if err := m.Set(Normal); err != nil {
			t.Fatal(err)
		}
		advance(time.Second)
		synctest.Wait()
		if got := fast.got(); fmt.Sprint(got) != "[moderate high normal]" {
			t.Errorf("fast subscriber saw %v, want the return to normal announced", got)
		}
		close(release) // the slow subscriber never delayed the fast one
		advance(2 * time.Second)
		synctest.Wait()
		if got := slow.got(); fmt.Sprint(got) != "[moderate normal]" {
			t.Errorf("slow subscriber saw %v, want [moderate normal]", got)
		}
	})
}

func TestWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeRuntime{}
		m := newFakeMonitor(t, f, Options{Interval: time.Second, Calm: time.Hour})
		ctx, cancel := context.WithCancel(t.Context())
		var got []Level
		done := make(chan struct{})
		go func() {
			defer close(done)
			for l := range m.Watch(ctx) {
				got = append(got, l)
				if l == High {
					cancel()
				}
			}
		}()
		synctest.Wait()
		m.Set(High)
		<-done
		if fmt.Sprint(got) != "[normal high]" {
			t.Errorf("Watch yielded %v, want [normal high]", got)
		}
	})
}

func TestWatchEndsOnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newFakeMonitor(t, &fakeRuntime{}, Options{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range m.Watch(context.Background()) {
			}
		}()
		synctest.Wait()
		m.Close()
		<-done
		if err := m.Set(High); err != ErrClosed {
			t.Errorf("Set after Close = %v, want ErrClosed", err)
		}
	})
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"negative interval", Options{Interval: -1}, "Options.Interval"},
		{"exit above enter", Options{Thresholds: [3]Threshold{{0.7, 0.8}, {0.85, 0.78}, {0.95, 0.9}}}, "Options.Thresholds[0] (moderate)"},
		{"levels out of order", Options{Thresholds: [3]Threshold{{0.7, 0.6}, {0.65, 0.6}, {0.95, 0.9}}}, "Options.Thresholds[1] (high)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMonitor(&tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewMonitor error %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// TestLimitFromRAM: with neither Options.Limit nor GOMEMLIMIT, and no
// cgroup memory.max (the source off, missing, or unbounded), the limit is
// the machine's RAM: MemTotal in /proc/meminfo.
func TestLimitFromRAM(t *testing.T) {
	ram := memTotal(t)
	unbounded := t.TempDir()
	writeFiles(t, unbounded, map[string]string{"memory.current": "4096\n", "memory.max": "max\n"})
	tests := []struct {
		name       string
		cgroupDir  string // "" switches the source off (newFakeMonitor)
		wantCgroup bool
	}{
		{"cgroup source off", "", false},
		{"cgroup directory missing", filepath.Join(t.TempDir(), "absent"), false},
		{"cgroup without memory.max", unbounded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeRuntime{} // no GOMEMLIMIT
				f.used.Store(1 << 20)
				m := newFakeMonitor(t, f, Options{CgroupDir: tt.cgroupDir})
				r := m.Reading()
				if r.LimitSource != "RAM" || r.Limit != ram || r.Limit <= 0 {
					t.Fatalf("Limit %d from %q, want %d (MemTotal) from \"RAM\" (notes %q)", r.Limit, r.LimitSource, ram, r.Notes)
				}
				if r.GoMemLimit != 0 || r.HasCgroup != tt.wantCgroup {
					t.Errorf("GoMemLimit %d HasCgroup %v, want 0 and %v", r.GoMemLimit, r.HasCgroup, tt.wantCgroup)
				}
				if want := float64(1<<20) / float64(ram); r.Ratio != want {
					t.Errorf("Ratio %v, want used/RAM = %v", r.Ratio, want)
				}
			})
		})
	}
}

// memTotal returns MemTotal from /proc/meminfo in bytes, read here
// independently of the monitor's totalRAM; it skips the test where there
// is no /proc/meminfo.
func memTotal(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Skipf("no RAM source here: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("MemTotal line %q: %v", line, err)
			}
			return kb * 1024
		}
	}
	t.Fatalf("no MemTotal line in /proc/meminfo:\n%s", b)
	return 0
}

func TestRealSources(t *testing.T) {
	m, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := m.Reading()
	if r.Used <= 0 {
		t.Errorf("Used = %d, want the runtime's real usage", r.Used)
	}
	if _, err := os.Stat("/proc/meminfo"); err == nil && r.Limit <= 0 {
		t.Errorf("Limit = %d with /proc/meminfo present, want a limit", r.Limit)
	}
	t.Logf("reading: used=%d limit=%d (%s) ratio=%.4f level=%v psi=%v notes=%q", r.Used, r.Limit, r.LimitSource, r.Ratio, r.Level, r.HasPSI, r.Notes)
}

// TestSubscribeUnderPressure: a subscriber that joins while the level is
// above Normal hears the current level first, then later changes.
func TestSubscribeUnderPressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newFakeMonitor(t, &fakeRuntime{}, Options{Interval: time.Second, Calm: time.Hour})
		m.Set(High)
		var rec recorder
		defer m.Subscribe(rec.add)()
		synctest.Wait()
		advance(time.Second)
		m.Set(Normal)
		advance(time.Second)
		synctest.Wait()
		if got := rec.got(); fmt.Sprint(got) != "[high normal]" {
			t.Errorf("subscriber joining at High saw %v, want [high normal]", got)
		}
	})
}
