package main

// Conformance tests: the demo does what README.md and doc.go say — it
// exercises every package, ends with "OK: every resource is accounted for",
// and fails loudly (exit status 1, FAILED on stdout and stderr) when a
// resource is not accounted for.

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patinox/memory/resource"
)

// The README says the demo's agents use tracked temp files and connections,
// a keyed pool against a loopback TCP server, a cache through GetOrLoad,
// memory-mapped embeddings and (mmap_demo.go) a cow.Versioned config: each
// part must show real work in the final table, not just a row.
func TestConformanceDemoExercisesEveryPackage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := demo(smallDemo, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	if !strings.HasSuffix(got, "OK: every resource is accounted for and no temp file is left.\n") {
		t.Errorf("stdout does not end with the OK line:\n%s", got)
	}
	for _, sec := range []string{"registry", "resource fleet", "pool", "cache", "mmap+cow", "disk"} {
		if !strings.Contains(got, "\n"+sec+" ") && !strings.HasPrefix(got, sec) {
			t.Errorf("no %q section in the report:\n%s", sec, got)
		}
	}
	tests := []struct {
		pkg   string
		label string
	}{
		{pkg: "resource", label: "registered"},
		{pkg: "resource (files)", label: "temp files opened"},
		{pkg: "resource (connections)", label: "connections opened"},
		{pkg: "pool", label: "pool acquires / waits (avg wait) / cancelled"},
		{pkg: "pool (loopback TCP)", label: "pool connections created / create failures"},
		{pkg: "cache", label: "cache lookups (GetOrLoad)"},
		{pkg: "mmap", label: "embedding rows read in place (ViewOf)"},
		{pkg: "cow", label: "config updates ok / rejected (published nothing)"},
	}
	for _, tt := range tests {
		v := rowValue(t, got, tt.label)
		n, err := strconv.Atoi(strings.Fields(v)[0])
		if err != nil || n <= 0 {
			t.Errorf("%s: row %q = %q, want a positive count first", tt.pkg, tt.label, v)
		}
	}
}

// hung is a component that registers one resource whose cleanup ignores its
// context and does not return until the test lets it: the registry's
// Shutdown cannot finish it, so the demo must report it as unaccounted for.
type hung struct {
	unblock chan struct{} // closed by the test once the demo has returned
}

func (h *hung) name() string { return "hung" }
func (h *hung) start(_ context.Context, e *env) error {
	_, err := e.registry.Register(func(context.Context) error {
		<-h.unblock
		return nil
	}, resource.WithKind("hung"))
	return err
}
func (h *hung) step(context.Context, int, *rand.Rand) error { return nil }
func (h *hung) stop(context.Context) error                  { return nil }
func (h *hung) summary() []row                              { return nil }

// A resource whose cleanup never finishes before the registry's Shutdown
// deadline is unaccounted for: the registry rows are marked, the report
// ends with FAILED, and demo returns an error naming them.
func TestConformanceHungCleanupFailsTheDemo(t *testing.T) {
	saved := components
	defer func() { components = saved }()
	h := &hung{unblock: make(chan struct{})}
	register(99, func() component { return h })
	c := smallDemo
	c.duration = 100 * time.Millisecond
	c.shutdownTimeout = 200 * time.Millisecond
	var out, errOut bytes.Buffer
	err := demo(c, &out, &errOut)
	close(h.unblock) // the registry's worker returns; goleak checks it ends
	if err == nil {
		t.Fatalf("demo with a hung cleanup: nil error, want one\nstdout:\n%s", out.String())
	}
	for _, want := range []string{"registry: shutdown", "registry: live after shutdown", "registry: accounted"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	got := out.String()
	if !strings.Contains(got, "<-- FAILED") || !strings.Contains(got, "\nFAILED: unaccounted for") {
		t.Errorf("stdout does not mark the failure:\n%s", got)
	}
	if strings.Contains(got, "OK: every resource") {
		t.Errorf("stdout claims OK despite the hung cleanup:\n%s", got)
	}
	v := rowValue(t, got, "live after shutdown")
	if n, err := strconv.Atoi(strings.Fields(v)[0]); err != nil || n < 1 || !strings.HasSuffix(v, "<-- FAILED") {
		t.Errorf("live after shutdown = %q, want at least 1, marked FAILED", v)
	}
}

// The command line's exit status when the demo finds something unaccounted
// for is 1 (not 0, not the usage status 2), with FAILED on stderr.
func TestConformanceExitStatusWhenUnaccounted(t *testing.T) {
	saved := components
	defer func() { components = saved }()
	register(99, func() component { return &litter{} })
	var out, errOut bytes.Buffer
	got := run([]string{"demo", "--agents", "2", "--duration", "100ms", "--seed", "3"}, &out, &errOut)
	if got != exitFailed {
		t.Errorf("run(demo) with a broken invariant = %d, want %d\nstdout:\n%s\nstderr:\n%s", got, exitFailed, out.String(), errOut.String())
	}
	if !strings.Contains(errOut.String(), "demo: FAILED: unaccounted for") {
		t.Errorf("stderr lacks the FAILED line:\n%s", errOut.String())
	}
	if !strings.Contains(out.String(), "\nFAILED: unaccounted for") {
		t.Errorf("stdout lacks the FAILED line:\n%s", out.String())
	}
}
