package main

import (
	"bytes"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "256MiB", want: 256 << 20},
		{in: "64mib", want: 64 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "512KiB", want: 512 << 10},
		{in: "2G", want: 2 << 30},
		{in: "100MB", want: 100 << 20},
		{in: "4096", want: 4096},
		{in: "4096B", want: 4096},
		{in: "", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "0MiB", wantErr: true},
		{in: "-1MiB", wantErr: true},
		{in: "12TiB", wantErr: true},
		{in: "1.5GiB", wantErr: true},
		{in: "99999999999GiB", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want && !tt.wantErr {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// rowValue returns the value of the report row whose label is label.
func rowValue(t *testing.T, out, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(label) + `\s+(.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("report has no row %q:\n%s", label, out)
	}
	return strings.TrimSpace(m[1])
}

// TestDemoMemlimit runs the memory-pressure demo in this process with a
// small limit: the monitor must leave Normal, the cache must give memory
// back (evictions with Reason Pressure), and the test binary's own memory
// limit must be restored afterwards.
func TestDemoMemlimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1) // -1 reads without changing
	// Start from a clean heap: memory an earlier test (or -count run) left
	// with the runtime counts as used, and a monitor that starts at High
	// tells the cache nothing until the level changes.
	debug.FreeOSMemory()
	c := demoConfig{agents: 8, duration: 2 * time.Second, seed: 1, progress: 500 * time.Millisecond, memlimit: 48 << 20}
	var out, errOut bytes.Buffer
	err := demo(c, &out, &errOut)
	if after := debug.SetMemoryLimit(-1); after != before {
		debug.SetMemoryLimit(before)
		t.Errorf("memory limit after the demo = %d, want the previous %d", after, before)
	}
	if err != nil {
		t.Fatalf("demo --memlimit 48MiB: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	levels := rowValue(t, got, "pressure levels seen (time at each)")
	if !strings.Contains(levels, "moderate") && !strings.Contains(levels, "high") && !strings.Contains(levels, "critical") {
		t.Errorf("levels seen = %q, want one above normal\nstderr:\n%s", levels, errOut.String())
	}
	evicted, err := strconv.Atoi(rowValue(t, got, "cache evictions by pressure (shrink + Reclaim)"))
	if err != nil {
		t.Fatalf("cache evictions by pressure: %v\nstdout:\n%s", err, got)
	}
	if evicted == 0 && !shrunkFromStart(t, got, levels) {
		t.Errorf("cache evictions by pressure = 0, want > 0 (or a cache shrunk before it filled)\nstdout:\n%s", got)
	}
	t.Logf("levels seen: %s; pressure evictions: %d; peak used: %s", levels, evicted,
		rowValue(t, got, "peak used by the Go runtime (sampled every 50ms)"))
	if !strings.Contains(errOut.String(), "[memory ") {
		t.Errorf("stderr has no timeline line:\n%s", errOut.String())
	}
	for _, label := range []string{"peak used by the Go runtime (sampled every 50ms)", "peak RSS (VmHWM)", "exceeded the limit", "cache hit ratio"} {
		rowValue(t, got, label)
	}
}

// shrunkFromStart reports whether the pressure level was above normal from
// the monitor's first reading to the end and the cache's bound is below
// the configured one. On a loaded machine (go test runs packages in
// parallel) the heap can pass the limit before the cache holds anything:
// the shrink then finds nothing to evict, and the smaller bound holds the
// cache down for the rest of the run (Capacity evictions), which is the
// reaction the test asks for.
func shrunkFromStart(t *testing.T, out, levels string) bool {
	t.Helper()
	bound, configured, ok := strings.Cut(rowValue(t, out, "cache bound at the end / configured"), " / ")
	return ok && bound != configured && strings.HasSuffix(levels, "; 0 changes") && !strings.HasPrefix(levels, "normal")
}

// TestDemoNoMonitor: with --no-monitor the limit is set, nothing reacts:
// no level, no pressure eviction, nothing reclaimed.
func TestDemoNoMonitor(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	c := demoConfig{agents: 4, duration: 500 * time.Millisecond, seed: 1, progress: 250 * time.Millisecond, memlimit: 64 << 20, noMonitor: true}
	var out, errOut bytes.Buffer
	err := demo(c, &out, &errOut)
	if after := debug.SetMemoryLimit(-1); after != before {
		debug.SetMemoryLimit(before)
		t.Errorf("memory limit after the demo = %d, want the previous %d", after, before)
	}
	if err != nil {
		t.Fatalf("demo --memlimit 64MiB --no-monitor: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	for label, want := range map[string]string{
		"pressure levels seen (time at each)":            "none: no monitor",
		"cache evictions by pressure (shrink + Reclaim)": "0",
		"registry reclaimed":                             "0KiB in 0 resources",
	} {
		if v := rowValue(t, got, label); v != want {
			t.Errorf("row %q = %q, want %q", label, v, want)
		}
	}
}
