package pressure

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by operations on a closed Monitor.
var ErrClosed = errors.New("pressure: monitor closed")

// Sources is a set of pressure sources, used to switch some off.
type Sources uint8

// The sources a Monitor combines. Each is skipped, with a note in
// Reading.Notes, when it is not available on this machine.
const (
	SourceRuntime Sources = 1 << iota // runtime/metrics: heap and runtime overhead against the limit; the GC CPU limiter
	SourceCgroup                      // cgroup v2 memory.current, memory.high, memory.max and memory.events
	SourcePSI                         // Linux PSI triggers on memory.pressure
)

// Options configure a Monitor. A nil *Options and zero fields take defaults.
type Options struct {
	// Interval between polls of the sources. Default 1s.
	Interval time.Duration
	// Calm is how long usage must stay below a level's exit threshold before
	// the monitor steps down one level. Default 5 × Interval.
	Calm time.Duration
	// Limit is an explicit memory limit in bytes. When set it is used instead
	// of GOMEMLIMIT, 90% of the cgroup's memory.max, or the machine's RAM.
	Limit int64
	// Thresholds for Moderate, High and Critical. Zero value: DefaultThresholds.
	Thresholds [3]Threshold
	// CgroupDir is the cgroup v2 directory to read; empty means the process's
	// own cgroup, found through /proc/self/cgroup and /proc/self/mountinfo.
	CgroupDir string
	// PSIStall and PSIWindow configure the PSI triggers: a trigger fires when
	// tasks stall on memory for PSIStall within PSIWindow. Defaults 150ms and
	// 2s (unprivileged processes need a window that is a multiple of 2s).
	PSIStall, PSIWindow time.Duration
	// Disable switches sources off (for example SourcePSI).
	Disable Sources
	// Logger, if set, receives one record per level change, in the order
	// of the changes and one at a time. It is called outside the monitor's
	// lock: its handler may call the monitor, and a slow one delays no
	// caller of Set but the one whose change it is logging.
	Logger *slog.Logger

	readRuntime func(*runtimeStats) // runtime/metrics reader; tests inject fakes
}

// Reading is what the monitor saw at its latest poll. It is a value: the
// caller owns its copy (Notes is shared between readings and must not be
// modified).
type Reading struct {
	Time        time.Time     // when the poll ran (the tick, or the PSI wake-up)
	Level       Level         // the monitor's level after this reading (or as Set since)
	Used        int64         // live heap (as of the last GC) plus runtime overhead outside the heap
	Limit       int64         // the effective limit in bytes; 0 when none is known
	LimitSource string        // where Limit came from: "Options.Limit", "GOMEMLIMIT", "cgroup memory.max", "RAM"
	Ratio       float64       // the highest usage ratio among the sources (Used/Limit, or the cgroup's own)
	GoMemLimit  int64         // the runtime's memory limit; 0 when unset
	GCLimiter   bool          // the GC CPU limiter switched on since the previous poll (→ Critical)
	Cgroup      CgroupReading // the cgroup v2 memory controller's files; valid only when HasCgroup
	HasCgroup   bool          // Cgroup holds a reading
	PSI         PSI           // the memory.pressure averages; valid only when HasPSI
	HasPSI      bool          // PSI holds a reading
	Notes       []string      // sources that were skipped, and why
}

// Monitor combines memory-pressure sources into one Level with hysteresis,
// and tells subscribers when it changes. It is safe for concurrent use.
// Close stops its goroutines.
type Monitor struct {
	interval time.Duration
	limit    int64
	ram      int64
	logger   *slog.Logger
	rt       *runtimeSource
	cg       *cgroupSource
	psi      *psiSource
	notes    []string

	level atomic.Int32
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once

	// logMu is held (TryLock) by the goroutine writing records to the
	// logger, so that records go out one at a time and in order.
	logMu sync.Mutex

	mu      sync.Mutex // protects following fields
	h       hysteresis
	reading Reading
	subs    map[*subscriber]struct{}
	toLog   []Reading // level changes not yet logged, oldest first
	closed  bool
}

// NewMonitor starts a monitor. Sources that are missing on this machine are
// skipped with a note in Reading().Notes; only invalid options are errors.
func NewMonitor(o *Options) (*Monitor, error) {
	if o == nil {
		o = &Options{}
	}
	cfg, err := withDefaults(*o)
	if err != nil {
		return nil, err
	}
	m := &Monitor{interval: cfg.Interval, limit: cfg.Limit, logger: cfg.Logger,
		done: make(chan struct{}), subs: map[*subscriber]struct{}{}}
	m.h = hysteresis{thresholds: cfg.Thresholds, calm: cfg.Calm}
	m.openSources(cfg)
	m.poll(time.Now())
	m.wg.Add(1)
	go m.loop()
	return m, nil
}

func withDefaults(o Options) (Options, error) {
	if o.Interval < 0 || o.Calm < 0 || o.Limit < 0 || o.PSIStall < 0 || o.PSIWindow < 0 {
		return o, fmt.Errorf("pressure: Options.Interval, Calm, Limit, PSIStall and PSIWindow must be >= 0, got %v, %v, %d, %v, %v",
			o.Interval, o.Calm, o.Limit, o.PSIStall, o.PSIWindow)
	}
	o.Interval = cmpOr(o.Interval, time.Second)
	o.Calm = cmpOr(o.Calm, 5*o.Interval)
	o.PSIStall = cmpOr(o.PSIStall, 150*time.Millisecond)
	o.PSIWindow = cmpOr(o.PSIWindow, 2*time.Second)
	if o.Thresholds == ([3]Threshold{}) {
		o.Thresholds = DefaultThresholds
	}
	prev := 0.0
	for i, t := range o.Thresholds {
		if !(t.Exit > 0 && t.Exit < t.Enter && t.Enter > prev) {
			return o, fmt.Errorf("pressure: Options.Thresholds[%d] (%s) must have 0 < Exit < Enter and Enter above the level below, got %+v",
				i, Level(i+1), t)
		}
		prev = t.Enter
	}
	return o, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// openSources opens every enabled source that this machine has.
func (m *Monitor) openSources(o Options) {
	if o.Disable&SourceRuntime == 0 {
		read := o.readRuntime
		if read == nil {
			read = newMetricsReader().read
		}
		m.rt = newRuntimeSource(read)
	}
	m.ram = totalRAM()
	dir := o.CgroupDir
	if o.Disable&SourceCgroup == 0 {
		var err error
		if dir == "" {
			dir, err = findCgroupDir("/proc/self/cgroup", "/proc/self/mountinfo")
		}
		if err == nil {
			m.cg, err = openCgroup(dir)
		}
		if err != nil {
			m.note("cgroup v2 skipped: %v", err)
			dir = ""
		}
	}
	if o.Disable&SourcePSI == 0 {
		path := "/proc/pressure/memory"
		if dir != "" {
			path = dir + "/memory.pressure"
		}
		psi, err := openPSI(path, o.PSIStall.Microseconds(), o.PSIWindow.Microseconds())
		if err != nil {
			m.note("PSI skipped: %v", err)
			return
		}
		m.psi = psi
		m.wg.Add(1)
		go func() { defer m.wg.Done(); psi.watch() }()
	}
}

func (m *Monitor) note(format string, args ...any) {
	m.notes = append(m.notes, fmt.Sprintf(format, args...))
}

// Interval returns the monitor's polling interval, which is also the least
// time between two notifications to one subscriber.
func (m *Monitor) Interval() time.Duration { return m.interval }

// Level returns the current level. It never blocks.
func (m *Monitor) Level() Level { return Level(m.level.Load()) }

// Reading returns what the monitor saw at its latest poll.
func (m *Monitor) Reading() Reading {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reading
}

// Set forces the level to l now, as if the sources had reported it, and
// notifies subscribers. Polling goes on: the level steps down again after a
// calm period if the sources do not hold it (escalations still apply at once).
// Set is meant for tests and operators.
func (m *Monitor) Set(l Level) error {
	if !l.valid() {
		return fmt.Errorf("pressure: Set: invalid level %d", int(l))
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	changed := l != m.h.level
	m.h.force(l)
	m.reading.Level = l
	if changed { // subscribers and the logger hear of changes only
		m.publishLocked(l)
	}
	m.mu.Unlock()
	if changed {
		m.flushLog()
	}
	return nil
}

// Close stops the monitor and its subscribers' goroutines and waits for them.
// A callback that is running is waited for, so Close must not be called
// from inside a Subscribe callback (it would wait for itself); call it from
// another goroutine. Close is idempotent.
func (m *Monitor) Close() error {
	m.once.Do(func() {
		m.mu.Lock()
		m.closed = true
		for s := range m.subs {
			s.stop()
		}
		// Forget the subscribers: a closed monitor that something still
		// points to (a registry's or a component's Options) must not keep
		// their callbacks, and the components they close over, reachable.
		// A later stop finds nothing to delete.
		clear(m.subs)
		m.mu.Unlock()
		close(m.done)
		if m.psi != nil {
			m.psi.stop()
		}
		m.wg.Wait()
		if m.psi != nil {
			m.psi.close()
		}
		if m.cg != nil {
			m.cg.close()
		}
	})
	return nil
}

// loop polls at every interval and at once when a PSI trigger fires.
func (m *Monitor) loop() {
	defer m.wg.Done()
	t := time.NewTicker(m.interval)
	defer t.Stop()
	var psi <-chan Level
	if m.psi != nil {
		psi = m.psi.events
	}
	for {
		select {
		case <-m.done:
			return
		case now := <-t.C:
			m.pollEvents(now, Normal)
		case lvl := <-psi:
			m.pollEvents(time.Now(), lvl)
		}
	}
}

func (m *Monitor) poll(now time.Time) { m.pollEvents(now, Normal) }

// pollEvents reads every source and steps the hysteresis. psi is the level a
// PSI trigger reported, if this poll was woken by one.
func (m *Monitor) pollEvents(now time.Time, psi Level) {
	var r Reading
	r.Time, r.Notes = now, m.notes
	obs := observation{events: psi}
	if m.rt != nil {
		m.rt.poll(&r)
		if r.GCLimiter {
			obs.events = Critical
		}
	}
	if m.cg != nil {
		lvl, err := m.cg.poll(&r.Cgroup)
		r.HasCgroup = err == nil
		obs.events = max(obs.events, lvl)
	}
	if m.psi != nil {
		r.HasPSI = m.psi.read(&r.PSI)
	}
	m.limitOf(&r)
	obs.ratio = r.Ratio
	m.mu.Lock()
	prev := m.h.level
	r.Level = m.h.step(obs, now)
	m.reading = r
	changed := r.Level != prev
	if changed {
		m.publishLocked(r.Level)
	}
	m.mu.Unlock()
	if changed {
		m.flushLog()
	}
}

// limitOf picks the effective limit, in this order: Options.Limit,
// GOMEMLIMIT, 90% of the cgroup's memory.max, the machine's RAM.
func (m *Monitor) limitOf(r *Reading) {
	switch {
	case m.limit > 0:
		r.Limit, r.LimitSource = m.limit, "Options.Limit"
	case r.GoMemLimit > 0:
		r.Limit, r.LimitSource = r.GoMemLimit, "GOMEMLIMIT"
	case r.HasCgroup && r.Cgroup.Max > 0:
		r.Limit, r.LimitSource = r.Cgroup.Max/10*9, "cgroup memory.max"
	case m.ram > 0:
		r.Limit, r.LimitSource = m.ram, "RAM"
	}
	if r.Limit > 0 && m.rt != nil {
		r.Ratio = float64(r.Used) / float64(r.Limit)
	}
	if r.HasCgroup {
		r.Ratio = math.Max(r.Ratio, r.Cgroup.ratio())
	}
}

// totalRAM reads MemTotal from /proc/meminfo; 0 where there is none.
func totalRAM() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb int64
	if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err != nil {
		return 0
	}
	return kb << 10
}
