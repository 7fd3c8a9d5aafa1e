package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/resource"
)

func init() { register(60, func() component { return &memoryDemo{} }) }

// Timing of the memory-pressure demo (demo --memlimit).
const (
	monitorInterval = 200 * time.Millisecond // short, so a run of a few seconds shows the levels move
	sampleInterval  = 50 * time.Millisecond  // how often the memory component samples used bytes
	timelineEvery   = 500 * time.Millisecond // a timeline line at least this often, and at every level change
)

// setupMemory applies --memlimit: it sets the Go memory limit and, unless
// --no-monitor, starts the pressure.Monitor that env hands to the registry,
// the pool and the cache. The returned function closes the monitor and
// restores the previous limit; call it after the registry's Shutdown.
func setupMemory(c demoConfig, e *env) (undo func(), err error) {
	if c.memlimit == 0 {
		return func() {}, nil
	}
	e.memlimit = c.memlimit
	prev := debug.SetMemoryLimit(c.memlimit)
	restore := func() { debug.SetMemoryLimit(prev) }
	if c.noMonitor {
		return restore, nil
	}
	mon, err := pressure.NewMonitor(&pressure.Options{Interval: monitorInterval})
	if err != nil {
		restore()
		return nil, err
	}
	e.pressure = mon
	return func() { mon.Close(); restore() }, nil
}

func monitorState(e *env) string {
	if e.pressure == nil {
		return "no pressure monitor (--no-monitor)"
	}
	return fmt.Sprintf("pressure.Monitor every %v", e.pressure.Interval())
}

// parseSize parses a byte count with an optional unit: B, KiB, MiB or GiB
// (KB, MB, GB and K, M, G are taken as the binary units too).
func parseSize(s string) (int64, error) {
	num := strings.TrimRight(s, "BbKkMmGgIi")
	unit := strings.ToLower(strings.TrimPrefix(s, num))
	shift, ok := map[string]uint{"": 0, "b": 0, "k": 10, "kb": 10, "kib": 10,
		"m": 20, "mb": 20, "mib": 20, "g": 30, "gb": 30, "gib": 30}[unit]
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if !ok || err != nil || n <= 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("want a positive size such as 256MiB (units B, KiB, MiB, GiB), got %q", s)
	}
	return n << shift, nil
}

// formatBytes renders n in MiB (KiB below 1 MiB).
func formatBytes(n int64) string {
	if n < 1<<20 && n > -1<<20 {
		return fmt.Sprintf("%.0fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
}

// memoryDemo is the memory-pressure part of the demo. Without --memlimit it
// does nothing and reports nothing. With it, it samples the memory the Go
// runtime holds every sampleInterval, prints a timeline line on stderr at
// every level change and every timelineEvery (level, used/limit, the cache's
// bound and size, bytes the registry reclaimed), and reports peaks, levels
// seen and whether the process went over the limit.
type memoryDemo struct {
	env    *env
	active bool
	begin  time.Time
	done   chan struct{}
	wg     sync.WaitGroup

	reclaimed, reclaimedN atomic.Int64 // registry Reclaimed events: bytes, resources

	// Written by the sampler goroutine; read after stop has waited for it.
	peakUsed int64
	atLevel  [pressure.Critical + 1]time.Duration
	changes  int
	gc0, gc1 gcStats
	cache    cacheView
	hasCache bool
	vmHWM    string
}

func (d *memoryDemo) name() string { return "memory" }

func (d *memoryDemo) start(_ context.Context, e *env) error {
	if e.memlimit == 0 {
		return nil
	}
	d.env, d.active, d.begin, d.done = e, true, time.Now(), make(chan struct{})
	e.onEvent(func(ev resource.Event) {
		if ev.Type == resource.Reclaimed {
			d.reclaimed.Add(ev.Size)
			d.reclaimedN.Add(1)
		}
	})
	d.gc0 = readGC()
	d.wg.Go(d.sample)
	return nil
}

func (d *memoryDemo) step(context.Context, int, *rand.Rand) error { return nil }

// level is the monitor's level, or -1 without a monitor.
func (d *memoryDemo) level() pressure.Level {
	if d.env.pressure == nil {
		return -1
	}
	return d.env.pressure.Level()
}

// sample runs until stop: it tracks the peak of used bytes and the time
// spent at each level, and prints the timeline.
func (d *memoryDemo) sample() {
	used := newUsedReader()
	tick := time.NewTicker(sampleInterval)
	defer tick.Stop()
	last, lastLine, lastTick := d.level(), time.Now(), time.Now()
	d.peakUsed = used.read()
	d.print(d.peakUsed, last)
	for {
		select {
		case <-d.done:
			return
		case now := <-tick.C:
			u, l := used.read(), d.level()
			d.peakUsed = max(d.peakUsed, u)
			if l >= 0 {
				d.atLevel[l] += now.Sub(lastTick)
			}
			lastTick = now
			if l != last || now.Sub(lastLine) >= timelineEvery {
				if l != last {
					d.changes++
				}
				d.print(u, l)
				last, lastLine = l, now
			}
		}
	}
}

// print writes one timeline line.
func (d *memoryDemo) print(used int64, l pressure.Level) {
	lvl := "off"
	if l >= 0 {
		lvl = l.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[memory %5.1fs] level=%-8s used=%s/%s (%3.0f%%)", time.Since(d.begin).Seconds(), lvl,
		formatBytes(used), formatBytes(d.env.memlimit), 100*float64(used)/float64(d.env.memlimit))
	if d.env.cacheView != nil {
		v := d.env.cacheView()
		fmt.Fprintf(&b, " cache bound=%s/%s entries=%d weight=%s pressure-evictions=%d", formatBytes(v.bound),
			formatBytes(v.configured), v.entries, formatBytes(v.weight), v.pressureEvictions)
	}
	fmt.Fprintf(&b, " reclaimed=%s (%d)", formatBytes(d.reclaimed.Load()), d.reclaimedN.Load())
	fmt.Fprintln(d.env.log, b.String())
}

func (d *memoryDemo) stop(context.Context) error {
	if !d.active {
		return nil
	}
	close(d.done)
	d.wg.Wait()
	d.gc1 = readGC()
	if d.env.cacheView != nil {
		d.cache, d.hasCache = d.env.cacheView(), true
	}
	d.vmHWM = readVmHWM()
	return nil
}

func (d *memoryDemo) summary() []row {
	if !d.active {
		return nil
	}
	limit := d.env.memlimit
	over := "no"
	if d.peakUsed > limit {
		over = fmt.Sprintf("yes: peak used is %.2f× the limit", float64(d.peakUsed)/float64(limit))
	}
	rows := []row{
		{label: "memory limit (debug.SetMemoryLimit)", value: formatBytes(limit) + ", " + monitorState(d.env)},
		{label: "peak used by the Go runtime (sampled every 50ms)", value: fmt.Sprintf("%s (%.0f%% of the limit)",
			formatBytes(d.peakUsed), 100*float64(d.peakUsed)/float64(limit))},
		{label: "peak RSS (VmHWM)", value: d.vmHWM},
		{label: "exceeded the limit", value: over},
	}
	if d.hasCache {
		rows = append(rows,
			row{label: "cache hit ratio", value: fmt.Sprintf("%.1f%%", 100*d.cache.hitRatio)},
			row{label: "cache bound at the end / configured", value: formatBytes(d.cache.bound) + " / " + formatBytes(d.cache.configured)},
			row{label: "cache evictions by pressure (shrink + Reclaim)", value: fmt.Sprint(d.cache.pressureEvictions)})
	}
	rows = append(rows,
		row{label: "registry reclaimed", value: fmt.Sprintf("%s in %d resources", formatBytes(d.reclaimed.Load()), d.reclaimedN.Load())},
		row{label: "pressure levels seen (time at each)", value: d.levelsSeen()},
		row{label: "GC cycles / GC CPU / GC CPU limiter engaged", value: fmt.Sprintf("%d / %.1fs / %v",
			d.gc1.cycles-d.gc0.cycles, d.gc1.cpu-d.gc0.cpu, yesNo(d.gc1.limiter > d.gc0.limiter))})
	return rows
}

func (d *memoryDemo) levelsSeen() string {
	if d.env.pressure == nil {
		return "none: no monitor"
	}
	var parts []string
	for l, t := range d.atLevel {
		if t > 0 {
			parts = append(parts, fmt.Sprintf("%s %v", pressure.Level(l), t.Round(10*time.Millisecond)))
		}
	}
	return fmt.Sprintf("%s; %d changes", strings.Join(parts, ", "), d.changes)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// usedReader reads the bytes the Go runtime holds from the OS (total minus
// released heap), the quantity the memory limit is enforced against.
type usedReader struct{ s [2]metrics.Sample }

func newUsedReader() *usedReader {
	u := &usedReader{}
	u.s[0].Name = "/memory/classes/total:bytes"
	u.s[1].Name = "/memory/classes/heap/released:bytes"
	return u
}

func (u *usedReader) read() int64 {
	metrics.Read(u.s[:])
	return int64(u.s[0].Value.Uint64() - u.s[1].Value.Uint64())
}

// gcStats are the runtime's GC counters the summary shows.
type gcStats struct {
	cycles, limiter uint64
	cpu             float64 // seconds
}

func readGC() gcStats {
	s := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/limiter/last-enabled:gc-cycle"},
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
	}
	metrics.Read(s)
	var g gcStats
	if s[0].Value.Kind() == metrics.KindUint64 {
		g.cycles = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		g.limiter = s[1].Value.Uint64()
	}
	if s[2].Value.Kind() == metrics.KindFloat64 {
		g.cpu = s[2].Value.Float64()
	}
	return g
}

// readVmHWM returns the process's peak resident set size from
// /proc/self/status, or why it is not known.
func readVmHWM() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return formatBytes(kb << 10)
			}
		}
	}
	return "unknown (no VmHWM in /proc/self/status)"
}
