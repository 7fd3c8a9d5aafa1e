package cache_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patinox/memory/cache"
	"github.com/patinox/memory/pressure"
)

// The subprocess test's shape. The child runs with GOMEMLIMIT=subLimit and a
// cache bounded at subMaxWeight (twice the limit: without the monitor the
// cache alone would outgrow the limit), filled with subValue-byte values, one
// per tick of subPace, subValues values in all. The pace stands for the
// loads a real cache waits for: at 128 KiB per millisecond the cache grows by
// about 6 MiB per monitor interval (50ms), well inside the room between the
// Critical threshold (95%) and what a cache at 25% of its bound needs.
const (
	subLimit     = 64 << 20
	subMaxWeight = 2 * subLimit
	subValue     = 128 << 10
	subValues    = 3 * subMaxWeight / subValue / 2 // fills the configured bound 1.5 times
	subPace      = time.Millisecond
	subDeadline  = 20 * time.Second // the child stops filling by then, whatever it reached

	subChildEnv   = "PATINOX_CACHE_PRESSURE_CHILD"
	subResultLine = "PRESSURE-RESULT "
)

// subResult is what the child reports on stdout.
type subResult struct {
	Limit          int64  // the monitor's effective limit
	LimitSource    string // where it came from; must be GOMEMLIMIT
	HighestLevel   string
	HighestLevelN  int
	ConfiguredMax  int64 // MaxWeight
	MinBound       int64 // the lowest bound Limits reported while filling
	FinalBound     int64 // Limits after the last value
	PressureEvicts uint64
	PeakUsed       int64 // runtime/metrics total minus heap/released, sampled at every value
	Values         int
	Elapsed        string
}

// TestPressureSubprocess re-executes the test binary with GOMEMLIMIT set
// low. The child fills a cache whose bound is twice the limit while a
// pressure.Monitor watches the Go runtime only (no cgroup, no PSI), and
// reports what happened; the parent checks that the monitor reached High,
// the cache shrank with Reason Pressure evictions, and the process stayed
// under the limit.
func TestPressureSubprocess(t *testing.T) {
	if os.Getenv(subChildEnv) == "1" {
		pressureChild(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPressureSubprocess$", "-test.count=1")
	cmd.Env = append(os.Environ(), subChildEnv+"=1", fmt.Sprintf("GOMEMLIMIT=%dMiB", subLimit>>20), "GOGC=100")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	got, err := parseSubResult(stdout.String())
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("child: %+v", got)

	if got.LimitSource != "GOMEMLIMIT" || got.Limit != subLimit {
		t.Errorf("monitor limit = %d from %q, want %d from GOMEMLIMIT", got.Limit, got.LimitSource, subLimit)
	}
	if got.HighestLevelN < int(pressure.High) {
		t.Errorf("highest level = %s, want high or critical", got.HighestLevel)
	}
	if got.MinBound >= got.ConfiguredMax {
		t.Errorf("lowest bound while filling = %d, want below the configured %d", got.MinBound, got.ConfiguredMax)
	}
	if got.PressureEvicts == 0 {
		t.Errorf("evictions with Reason Pressure = 0, want > 0")
	}
	// Go's memory limit is soft: the runtime lets the heap run past it for a
	// moment between a GC trigger and the end of the cycle, the scavenger
	// returns freed pages asynchronously, and the GC CPU limiter (at most 50%
	// of the CPU for GC) lets the heap overshoot rather than stall the
	// program. 10% covers that transient overshoot; a cache that did not
	// shrink would hold its whole bound, twice the limit, and fail by far.
	if limit := int64(subLimit) * 11 / 10; got.PeakUsed > limit {
		t.Errorf("peak used = %d MiB, want <= %d MiB (limit %d MiB + 10%%)", got.PeakUsed>>20, limit>>20, subLimit>>20)
	}
}

func parseSubResult(out string) (subResult, error) {
	var r subResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), subResultLine); ok {
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				return r, fmt.Errorf("child result %q: %v", line, err)
			}
			return r, nil
		}
	}
	return r, fmt.Errorf("child printed no %q line", strings.TrimSpace(subResultLine))
}

// pressureChild is the child's side: it fills the cache at a steady pace and
// prints a subResult line.
func pressureChild(t *testing.T) {
	mon, err := pressure.NewMonitor(&pressure.Options{Interval: 50 * time.Millisecond,
		Disable: pressure.SourcePSI | pressure.SourceCgroup})
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	var highest atomic.Int32
	raise := func(l pressure.Level) {
		for {
			old := highest.Load()
			if int32(l) <= old || highest.CompareAndSwap(old, int32(l)) {
				return
			}
		}
	}
	stop := mon.Subscribe(raise)
	defer stop()

	c, err := cache.New(&cache.Options[int, []byte]{
		MaxWeight: subMaxWeight,
		Weigher:   func(_ int, v []byte) int64 { return int64(len(v)) },
		Policy:    cache.LRU(),
		Pressure:  mon,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	res := subResult{ConfiguredMax: subMaxWeight, MinBound: subMaxWeight}
	used := newUsedReader()
	start := time.Now()
	deadline := time.After(subDeadline)
	tick := time.NewTicker(subPace)
	defer tick.Stop()
fill:
	for res.Values < subValues {
		select {
		case <-deadline:
			break fill
		case <-tick.C:
		}
		v := make([]byte, subValue)
		v[0] = byte(res.Values)
		c.Set(res.Values, v)
		res.Values++
		res.PeakUsed = max(res.PeakUsed, used.read())
		raise(mon.Level())
		_, bound := c.Limits()
		res.MinBound = min(res.MinBound, bound)
	}
	res.Elapsed = time.Since(start).Round(time.Millisecond).String()
	_, res.FinalBound = c.Limits()
	res.PressureEvicts = c.Stats().Evictions[cache.Pressure]
	r := mon.Reading()
	res.Limit, res.LimitSource = r.Limit, r.LimitSource
	lvl := pressure.Level(highest.Load())
	res.HighestLevel, res.HighestLevelN = lvl.String(), int(lvl)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s%s\n", subResultLine, b)
}

// usedReader reads the bytes the Go runtime holds from the OS, the quantity
// GOMEMLIMIT is enforced against, without allocating.
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
