package pressure

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"
)

// The monitors under test poll every modelInterval against a GOMEMLIMIT
// of modelLimit bytes (fakeRuntime), so used bytes are thousandths of the
// limit. Time moves in half-intervals, so that Sets, subscriptions and
// stops land both on polls and between them.
const (
	modelInterval = time.Second
	modelLimit    = 1000
)

// levelModel is the reference for the monitor's level: the documented rules
// written out plainly, one poll at a time.
//
//   - A poll escalates at once to the highest level whose Enter ratio the
//     usage reaches, or that an event since the previous poll implies
//     (a new cgroup memory.high event: High; memory.max/oom, or the GC CPU
//     limiter switching on: Critical), if that is above the level.
//   - Otherwise the level holds while usage is at or above its Exit ratio
//     or an event implies it. Once it does not hold, the calm period
//     starts; a poll that finds it has lasted Calm steps down one level,
//     and the next step needs a calm period of its own, from that poll.
//     A poll that holds the level ends the calm period.
//   - Set moves to its level at once and ends the calm period.
type levelModel struct {
	thresholds [3]Threshold
	calm       time.Duration

	used      int64 // the fake runtime's used bytes
	events    Level // the highest level implied by events since the last poll
	level     Level
	calming   bool
	calmStart time.Time
	nextPoll  time.Time
	history   []levelChange // every change of level, oldest first (Normal before the first)
}

type levelChange struct {
	at    time.Time
	level Level
}

func (md *levelModel) setLevel(now time.Time, l Level) {
	if l != md.level {
		md.level = l
		md.history = append(md.history, levelChange{now, l})
	}
}

func (md *levelModel) poll(now time.Time) {
	ratio := float64(md.used) / modelLimit
	ev := md.events
	md.events = Normal
	target := ev
	for l := Moderate; l <= Critical; l++ {
		if ratio >= md.thresholds[l-1].Enter {
			target = max(target, l)
		}
	}
	switch {
	case target > md.level:
		md.setLevel(now, target)
		md.calming = false
	case md.level == Normal || ev >= md.level || ratio >= md.thresholds[md.level-1].Exit:
		md.calming = false
	default:
		if !md.calming {
			md.calming, md.calmStart = true, now
		}
		if now.Sub(md.calmStart) >= md.calm {
			md.setLevel(now, md.level-1)
			md.calmStart = now
		}
	}
}

// advance runs the polls due from now to now+d, one per interval since
// the monitor started.
func (md *levelModel) advance(now time.Time, d time.Duration) {
	for end := now.Add(d); !md.nextPoll.After(end); md.nextPoll = md.nextPoll.Add(modelInterval) {
		md.poll(md.nextPoll)
	}
}

func (md *levelModel) set(now time.Time, l Level) {
	md.setLevel(now, l)
	md.calming = false
}

// heldAt reports whether l was the level at some moment of instant at:
// the level in force when the instant began, or one it changed to then.
func (md *levelModel) heldAt(at time.Time, l Level) bool {
	cur := Normal
	for _, c := range md.history {
		if c.at.After(at) {
			break
		}
		if c.at.Equal(at) && cur == l {
			return true
		}
		cur = c.level
	}
	return cur == l
}

// heldBetween reports whether l was the level at some moment from from to
// to, both included.
func (md *levelModel) heldBetween(from, to time.Time, l Level) bool {
	if md.heldAt(from, l) {
		return true
	}
	for _, c := range md.history {
		if c.at.After(from) && !c.at.After(to) && c.level == l {
			return true
		}
	}
	return false
}

// lastChange is when the level last changed (start if it never did).
func (md *levelModel) lastChange(start time.Time) time.Time {
	if len(md.history) == 0 {
		return start
	}
	return md.history[len(md.history)-1].at
}

type opKind int

const (
	opUse         opKind = iota // the runtime's usage becomes N thousandths of the limit
	opAdvance                   // N half-intervals pass
	opSet                       // Set(Level(N))
	opGCLimiter                 // the GC CPU limiter switches on
	opCgroupEvent               // a cgroup event implying Level(N): memory.high (High) or oom (Critical)
	opSubscribe                 // a new Subscribe
	opWatch                     // a new Watch; with N > 0 its loop body takes N half-intervals
	opStop                      // stop the N-th subscription still running
)

type op struct {
	Kind opKind
	N    int
}

func (o op) String() string {
	switch o.Kind {
	case opUse:
		return fmt.Sprintf("use(%d/1000)", o.N)
	case opAdvance:
		return fmt.Sprintf("advance(%v)", time.Duration(o.N)*modelInterval/2)
	case opSet:
		return fmt.Sprintf("Set(%v)", Level(o.N))
	case opGCLimiter:
		return "gcLimiter"
	case opCgroupEvent:
		return fmt.Sprintf("cgroupEvent(%v)", Level(o.N))
	case opSubscribe:
		return "Subscribe"
	case opWatch:
		if o.N > 0 {
			return fmt.Sprintf("Watch(slow %v)", time.Duration(o.N)*modelInterval/2)
		}
		return "Watch"
	}
	return fmt.Sprintf("stop(%d)", o.N)
}

// usage draws used bytes, often right at a threshold of either set below.
var usage = rapid.OneOf(rapid.IntRange(0, 1200),
	rapid.SampledFrom([]int{0, 599, 600, 649, 650, 699, 700, 779, 780, 799, 800, 849, 850, 899, 900, 949, 950, 1000}))

// drawOps draws a sequence of operations as a rapid state machine whose
// actions only record what to do: the sequence then runs in a synctest
// bubble of its own, outside of which rapid shrinks it.
func drawOps(rt *rapid.T) []op {
	var ops []op
	add := func(k opKind, n *rapid.Generator[int]) func(*rapid.T) {
		return func(rt *rapid.T) {
			o := op{Kind: k}
			if n != nil {
				o.N = n.Draw(rt, "n")
			}
			ops = append(ops, o)
		}
	}
	rt.Repeat(map[string]func(*rapid.T){
		"use":         add(opUse, usage),
		"advance":     add(opAdvance, rapid.IntRange(1, 3)),
		"advanceLong": add(opAdvance, rapid.IntRange(4, 20)),
		"set":         add(opSet, rapid.IntRange(int(Normal), int(Critical))),
		"gcLimiter":   add(opGCLimiter, nil),
		"cgroupEvent": add(opCgroupEvent, rapid.IntRange(int(High), int(Critical))),
		"subscribe":   add(opSubscribe, nil),
		"watch":       add(opWatch, nil),
		"watchSlow":   add(opWatch, rapid.IntRange(1, 6)),
		"stop":        add(opStop, rapid.IntRange(0, 5)),
	})
	return ops
}

// TestRapidMonitorMatchesModel drives a Monitor (fake runtime source, a
// real cgroup v2 directory in a temp dir for its events) with random
// usage, events, Sets, subscriptions and the passing of time, beside a
// levelModel, and finally lets the pressure go away. After every step,
// under synctest:
//
//   - Level and Reading().Level are the model's level;
//   - every Subscribe callback and Watch got levels in the order they held,
//     never the same level twice in a row, and nothing after its stop;
//   - never a stale level: each one was the level at the moment it was
//     delivered (for a Watch whose loop body is slow: at some moment since
//     it yielded the previous one), and a Watch starts with the level at
//     its start;
//   - deliveries to one subscription are at least an interval apart
//     (after a Watch's first; not checked for a slow Watch body, which
//     takes what was handed over while it was busy at once);
//   - the latest level arrives: a subscription that started after the last
//     change, or whose level has been steady for an interval (plus a slow
//     Watch body's time), has got the current level.
func TestRapidMonitorMatchesModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		thresholds := rapid.SampledFrom([][3]Threshold{DefaultThresholds,
			{{Enter: 0.65, Exit: 0.30}, {Enter: 0.80, Exit: 0.70}, {Enter: 0.90, Exit: 0.85}}}).Draw(rt, "thresholds")
		calm := time.Duration(rapid.IntRange(1, 10).Draw(rt, "calmHalfIntervals")) * modelInterval / 2
		initial := usage.Draw(rt, "initialUsed")
		ops := drawOps(rt)
		var failure error
		synctest.Test(t, func(t *testing.T) {
			failure = runModel(t, thresholds, calm, int64(initial), ops)
		})
		if failure != nil {
			rt.Fatal(failure) // outside the bubble, so that rapid can shrink
		}
	})
}

// modelSub is one subscription under test and what it received.
type modelSub struct {
	name    string
	watch   bool
	slow    time.Duration // a Watch whose loop body takes this long after each level
	version int           // len(model history) at its start
	first   Level         // the level at its start
	stop    func()
	stopped bool
	atStop  int // deliveries when it was stopped

	mu  sync.Mutex
	got []levelChange
}

func (s *modelSub) add(l Level) {
	s.mu.Lock()
	s.got = append(s.got, levelChange{time.Now(), l})
	s.mu.Unlock()
}

func (s *modelSub) deliveries() []levelChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

type modelRun struct {
	t          *testing.T
	m          *Monitor
	f          *fakeRuntime
	md         *levelModel
	start      time.Time
	cgroup     string
	high, ooms int // cgroup memory.events counters
	subs       []*modelSub
}

func runModel(t *testing.T, thresholds [3]Threshold, calm time.Duration, initial int64, ops []op) error {
	r := &modelRun{t: t, f: &fakeRuntime{}, cgroup: t.TempDir(),
		md: &levelModel{thresholds: thresholds, calm: calm, used: initial}}
	writeFiles(t, r.cgroup, map[string]string{
		"memory.current": "0\n", "memory.max": "max\n", "memory.high": "max\n", // no cgroup ratio: events only
		"memory.events": events(0, 0, 0), "memory.stat": "inactive_file 0\n",
	})
	r.f.limit.Store(modelLimit)
	r.f.used.Store(uint64(initial))
	r.start = time.Now()
	r.m = newFakeMonitor(t, r.f, Options{Interval: modelInterval, Calm: calm, Thresholds: thresholds, CgroupDir: r.cgroup})
	defer r.stopAll()
	if !r.m.Reading().HasCgroup {
		return fmt.Errorf("the cgroup source is off: %q", r.m.Reading().Notes)
	}
	r.md.nextPoll = r.start
	r.md.advance(r.start, 0) // NewMonitor's first poll
	// Then the pressure goes away for long enough to step down to Normal
	// (pending events, a step per calm period, the slowest Watch body): the
	// return to Normal must reach every subscription.
	settle := 4*int(calm/(modelInterval/2)) + 24
	ops = append(slices.Clip(ops), op{Kind: opUse, N: 0}, op{Kind: opAdvance, N: settle})
	for i, o := range ops {
		r.apply(o)
		synctest.Wait()
		if err := r.check(); err != nil {
			return fmt.Errorf("after op %d %v at t=%v: %w\nops %v\nmodel history %v",
				i, o, time.Since(r.start), err, ops[:i+1], r.historyString())
		}
	}
	if r.md.level != Normal {
		return fmt.Errorf("the model did not settle at Normal: history %v", r.historyString())
	}
	return nil
}

func (r *modelRun) apply(o op) {
	now := time.Now()
	switch o.Kind {
	case opUse:
		r.f.used.Store(uint64(o.N))
		r.md.used = int64(o.N)
	case opAdvance:
		d := time.Duration(o.N) * modelInterval / 2
		r.md.advance(now, d)
		advance(d)
	case opSet:
		if err := r.m.Set(Level(o.N)); err != nil {
			r.t.Fatal(err)
		}
		r.md.set(now, Level(o.N))
	case opGCLimiter:
		r.f.limiter.Add(1)
		r.md.events = Critical
	case opCgroupEvent:
		if Level(o.N) == Critical {
			r.ooms++
		} else {
			r.high++
		}
		writeFiles(r.t, r.cgroup, map[string]string{"memory.events": events(r.high, 0, r.ooms)})
		r.md.events = max(r.md.events, Level(o.N))
	case opSubscribe:
		r.subscribe()
	case opWatch:
		r.watch(time.Duration(o.N) * modelInterval / 2)
	case opStop:
		r.stop(o.N)
	}
}

func (r *modelRun) newSub(kind string, watch bool) *modelSub {
	if len(r.subs) >= 6 {
		return nil
	}
	s := &modelSub{name: fmt.Sprintf("%s#%d", kind, len(r.subs)), watch: watch,
		version: len(r.md.history), first: r.md.level}
	r.subs = append(r.subs, s)
	return s
}

func (r *modelRun) subscribe() {
	if s := r.newSub("Subscribe", false); s != nil {
		s.stop = r.m.Subscribe(s.add)
	}
}

// watch starts a Watch whose loop body records each level and then, if
// slow, takes that long (or until the Watch is stopped).
func (r *modelRun) watch(slow time.Duration) {
	s := r.newSub("Watch", true)
	if s == nil {
		return
	}
	s.slow = slow
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for l := range r.m.Watch(ctx) {
			if ctx.Err() != nil {
				break // stopped while busy: the test no longer listens
			}
			s.add(l)
			if slow > 0 {
				select {
				case <-time.After(slow):
				case <-ctx.Done():
				}
			}
		}
	}()
	s.stop = func() { cancel(); <-done }
}

// stop ends the n-th subscription still running (modulo their number).
func (r *modelRun) stop(n int) {
	var running []*modelSub
	for _, s := range r.subs {
		if !s.stopped {
			running = append(running, s)
		}
	}
	if len(running) == 0 {
		return
	}
	s := running[n%len(running)]
	s.stop()
	s.stopped, s.atStop = true, len(s.deliveries())
}

func (r *modelRun) stopAll() {
	for _, s := range r.subs {
		if !s.stopped {
			s.stop()
			s.stopped = true
		}
	}
}

func (r *modelRun) check() error {
	if got, want := r.m.Level(), r.md.level; got != want {
		return fmt.Errorf("Level() = %v, model %v", got, want)
	}
	if got, want := r.m.Reading().Level, r.md.level; got != want {
		return fmt.Errorf("Reading().Level = %v, model %v", got, want)
	}
	for _, s := range r.subs {
		if err := r.checkSub(s); err != nil {
			return fmt.Errorf("%s (started at %v): %w", s.name, s.first, err)
		}
	}
	return nil
}

func (r *modelRun) checkSub(s *modelSub) error {
	got := s.deliveries()
	if s.stopped && len(got) > s.atStop {
		return fmt.Errorf("got %v after stop", got[s.atStop:])
	}
	last, from := Normal, 0 // a Subscribe starts from Normal: it gets a higher level at once
	if s.watch {
		if len(got) == 0 || got[0].level != s.first {
			return fmt.Errorf("Watch yielded %v first, want the level at its start, %v", got, s.first)
		}
		last, from = s.first, 1
	}
	for i := from; i < len(got); i++ {
		d := got[i]
		switch {
		case d.level == last:
			return fmt.Errorf("got %v twice in a row (deliveries %v)", d.level, r.times(got))
		case s.slow == 0 && !r.md.heldAt(d.at, d.level):
			return fmt.Errorf("got %v at t=%v, when it was not the level (stale or invented; deliveries %v)",
				d.level, d.at.Sub(r.start), r.times(got))
		case s.slow > 0 && !r.md.heldBetween(got[i-1].at, d.at, d.level):
			// A slow Watch body takes a level handed over while it was busy:
			// it must have been the level since the previous one was yielded.
			return fmt.Errorf("got %v at t=%v, not the level at any time since the previous one (deliveries %v)",
				d.level, d.at.Sub(r.start), r.times(got))
		case s.slow == 0 && i > from && d.at.Sub(got[i-1].at) < modelInterval:
			// (A slow Watch body takes what was handed over while it was busy at once.)
			return fmt.Errorf("two deliveries less than an interval apart: %v", r.times(got))
		}
		last = d.level
	}
	steady := time.Since(r.md.lastChange(r.start)) >= modelInterval+s.slow
	if !s.stopped && (steady || s.version == len(r.md.history)) && last != r.md.level {
		return fmt.Errorf("last got %v, but the level is %v since t=%v (deliveries %v)",
			last, r.md.level, r.md.lastChange(r.start).Sub(r.start), r.times(got))
	}
	return nil
}

func (r *modelRun) times(cs []levelChange) string {
	var b []byte
	for _, c := range cs {
		b = fmt.Appendf(b, "%v@%v ", c.level, c.at.Sub(r.start))
	}
	return string(b)
}

func (r *modelRun) historyString() string { return r.times(r.md.history) }
