package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/patinox/memory/resource"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// smallDemo is a fleet small and short enough for -race on a shared machine.
var smallDemo = demoConfig{agents: 8, duration: 400 * time.Millisecond, seed: 1, progress: 100 * time.Millisecond}

func TestDemoAccountsForEverything(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		c := smallDemo
		c.seed = seed
		var out, errOut bytes.Buffer
		if err := demo(c, &out, &errOut); err != nil {
			t.Fatalf("seed %d: demo: %v\nstdout:\n%s\nstderr:\n%s", seed, err, out.String(), errOut.String())
		}
		got := out.String()
		for _, want := range []string{
			"OK: every resource is accounted for",
			"registered", "released", "retried", "failed for good", "leaked", "expired", "p50",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("seed %d: stdout lacks %q:\n%s", seed, want, got)
			}
		}
		if strings.Contains(got, "FAILED") {
			t.Errorf("seed %d: stdout reports a failure:\n%s", seed, got)
		}
		if strings.Contains(got, "memory limit") || strings.Contains(got, "evictions by memory pressure") {
			t.Errorf("seed %d: the default demo shows the --memlimit rows:\n%s", seed, got)
		}
		if !strings.Contains(errOut.String(), "live=") {
			t.Errorf("seed %d: stderr has no progress line:\n%s", seed, errOut.String())
		}
	}
}

// TestDemoLeavesNothingReachable: once a demo run returns, its registry
// (which every entry, cache, pool and mapping of the run points to) can be
// collected. A process that runs for weeks must not keep anything of the
// work it finished: the test fails if any resource, Guard or component of
// the run is still reachable from a root.
func TestDemoLeavesNothingReachable(t *testing.T) {
	var reg weak.Pointer[resource.Registry]
	c := smallDemo
	c.duration = 200 * time.Millisecond
	c.inspect = func(e *env) { reg = weak.Make(e.registry) }
	if err := demo(c, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// Runtime cleanups queued by a GC (a pool lease's detector, say) hold
	// their argument until the cleanup goroutine has run them: collect
	// again, a bounded number of times, before concluding.
	for i := 0; i < 100 && reg.Value() != nil; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if reg.Value() != nil {
		t.Error("the finished demo's registry is still reachable")
	}
}

func TestRunExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		want   int
		output string // expected in stdout+stderr
	}{
		{name: "no command", args: nil, want: exitUsage, output: "Commands:"},
		{name: "help", args: []string{"-h"}, want: exitOK, output: "demo"},
		{name: "help word", args: []string{"help"}, want: exitOK, output: "Commands:"},
		{name: "unknown", args: []string{"frobnicate"}, want: exitUsage, output: `unknown command "frobnicate"`},
		{name: "demo help", args: []string{"demo", "-h"}, want: exitOK, output: "-agents"},
		{name: "bad agents", args: []string{"demo", "--agents", "0"}, want: exitUsage, output: "--agents must be >= 1"},
		{name: "bad duration", args: []string{"demo", "--duration", "-1s"}, want: exitUsage, output: "--duration must be > 0"},
		{name: "extra args", args: []string{"demo", "now"}, want: exitUsage, output: "unexpected arguments"},
		{name: "bad memlimit", args: []string{"demo", "--memlimit", "lots"}, want: exitUsage, output: `got "lots"`},
		{name: "no-monitor alone", args: []string{"demo", "--no-monitor"}, want: exitUsage, output: "--no-monitor needs --memlimit"},
		{name: "demo runs", args: []string{"demo", "--agents", "4", "--duration", "200ms", "--seed", "7"}, want: exitOK, output: "OK: every resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := run(tt.args, &out, &errOut); got != tt.want {
				t.Errorf("run(%q) = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, got, tt.want, out.String(), errOut.String())
			}
			if all := out.String() + errOut.String(); !strings.Contains(all, tt.output) {
				t.Errorf("run(%q) output lacks %q:\n%s", tt.args, tt.output, all)
			}
		})
	}
}

// litter is a component that breaks the demo's rules on purpose: it leaves a
// file in the temp dir and reports a broken invariant. The demo must fail.
type litter struct{ dir string }

func (l *litter) name() string { return "litter" }
func (l *litter) start(_ context.Context, e *env) error {
	l.dir = e.dir
	return os.WriteFile(filepath.Join(e.dir, "left-behind.tmp"), []byte("x"), 0o600)
}
func (l *litter) step(context.Context, int, *rand.Rand) error { return nil }
func (l *litter) stop(context.Context) error                  { return nil }
func (l *litter) summary() []row {
	return []row{{label: "things lost", value: "1", bad: true}}
}

func TestDemoFailsWhenSomethingIsUnaccounted(t *testing.T) {
	saved := components
	defer func() { components = saved }()
	var lit *litter
	register(99, func() component { lit = &litter{}; return lit })
	var out, errOut bytes.Buffer
	err := demo(smallDemo, &out, &errOut)
	if err == nil {
		t.Fatalf("demo with a littering component: nil error, want one\nstdout:\n%s", out.String())
	}
	for _, want := range []string{"litter: things lost", "disk: files left"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !strings.Contains(out.String(), "left-behind.tmp") {
		t.Errorf("stdout does not name the file left behind:\n%s", out.String())
	}
	if _, statErr := os.Stat(lit.dir); !os.IsNotExist(statErr) {
		t.Errorf("temp dir %s still exists after the demo (stat: %v)", lit.dir, statErr)
	}
}

// named is a component that does nothing but have a name.
type named struct{ n string }

func (c named) name() string                              { return c.n }
func (named) start(context.Context, *env) error           { return nil }
func (named) step(context.Context, int, *rand.Rand) error { return nil }
func (named) stop(context.Context) error                  { return nil }
func (named) summary() []row                              { return nil }

func TestBuildComponentsOrder(t *testing.T) {
	saved := components
	defer func() { components = saved }()
	components = nil
	for _, r := range []struct {
		order int
		name  string
	}{{30, "cache"}, {10, "resource fleet"}, {20, "pool b"}, {20, "pool a"}} {
		register(r.order, func() component { return named{r.name} })
	}
	var got []string
	for _, c := range buildComponents() {
		got = append(got, c.name())
	}
	want := []string{"resource fleet", "pool a", "pool b", "cache"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("component order = %q, want %q", got, want)
	}
}
