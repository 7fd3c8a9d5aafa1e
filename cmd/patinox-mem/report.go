package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patinox/memory/resource"
)

// shutdownResult is what the registry's Shutdown returned, classified.
type shutdownResult struct {
	err      error
	took     time.Duration
	failed   int // cleanups that failed for good during Shutdown (injected faults do this)
	unfinish int // resources whose cleanup did not finish: a real problem
}

// shutdown shuts the registry down within timeout (30s when 0).
func shutdown(e *env, timeout time.Duration) shutdownResult {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := e.registry.Shutdown(ctx)
	res := shutdownResult{err: err, took: time.Since(start)}
	var se *resource.ShutdownError
	if errors.As(err, &se) {
		res.failed, res.unfinish = len(se.Failed), len(se.Unfinished)
		if se.Err == nil && res.unfinish == 0 {
			res.err = nil // only failures for good, which the table counts
		}
	}
	return res
}

// section is one titled table of the final report.
type section struct {
	title string
	rows  []row
}

// report collects the final tables and every broken invariant.
type report struct {
	sections []section
}

func (r *report) add(title string, rows []row) {
	r.sections = append(r.sections, section{title: title, rows: rows})
}

// addComponent adds a component's table; a component with nothing to
// report (a nil summary, like the memory component without --memlimit) adds
// none.
func (r *report) addComponent(c component) {
	if rows := c.summary(); rows != nil {
		r.add(c.name(), rows)
	}
}

// addRegistry adds the registry's table and its accounting: once Shutdown
// has returned, every registered resource must have been released, failed
// for good or been detached, by the events and by Stats alike.
func (r *report) addRegistry(e *env, sh shutdownResult) {
	s := e.registry.Stats()
	ev := &e.events
	registered := ev.get(resource.Registered)
	released, gaveUp, detached := ev.get(resource.Released), ev.get(resource.GaveUp), ev.get(resource.Detached)
	accounted := released + gaveUp + detached
	statsAccounted := s.Succeeded + s.FellBack + s.Failed + s.Detached
	rows := []row{
		{label: "registered", value: fmt.Sprint(registered)},
		{label: "released (cleanup or fallback succeeded)", value: fmt.Sprint(released)},
		{label: "  of which by the fallback", value: fmt.Sprint(s.FellBack)},
		{label: "retried (retries scheduled)", value: fmt.Sprint(s.Retried)},
		{label: "failed for good", value: fmt.Sprint(gaveUp)},
		{label: "detached", value: fmt.Sprint(detached)},
		{label: "leaked (detected by the leak detector)", value: fmt.Sprint(s.Leaked)},
		{label: "expired (TTL or idle timeout)", value: fmt.Sprint(s.Expired)},
		{label: "cleanup attempt latency p50 / p90 / p99", value: fmt.Sprintf("%v / %v / %v", s.CleanupP50, s.CleanupP90, s.CleanupP99)},
		{label: "shutdown", value: sh.describe(), bad: sh.err != nil},
		{label: "live after shutdown", value: fmt.Sprint(s.Live), bad: s.Live != 0},
		{
			label: "accounted: released + failed + detached = registered",
			value: fmt.Sprintf("%d + %d + %d = %d (registered %d)", released, gaveUp, detached, accounted, registered),
			bad:   accounted != registered,
		},
		{
			label: "Stats agree with the events",
			value: fmt.Sprintf("registered %d, finished %d", s.Registered, statsAccounted),
			bad:   s.Registered != uint64(registered) || statsAccounted != uint64(accounted),
		},
	}
	r.add("registry", rows)
}

func (sh shutdownResult) describe() string {
	if sh.err != nil {
		return fmt.Sprintf("took %v: %v", sh.took.Round(time.Millisecond), sh.err)
	}
	s := fmt.Sprintf("ok in %v", sh.took.Round(time.Millisecond))
	if sh.failed > 0 {
		s += fmt.Sprintf(" (%d cleanups failed for good during it, reported)", sh.failed)
	}
	return s
}

// checkDir adds a row that fails unless dir holds no file: every temp file
// of the demo must have been removed by its cleanup (or by the agent that
// detached it).
func (r *report) checkDir(dir string) {
	var left []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			left = append(left, filepath.Base(path))
		}
		return nil
	})
	v := fmt.Sprint(len(left))
	switch {
	case err != nil:
		v = err.Error()
	case len(left) > 0:
		v += ": " + strings.Join(left[:min(len(left), 5)], ", ")
	}
	r.add("disk", []row{{label: "files left in the demo's temp dir", value: v, bad: err != nil || len(left) > 0}})
}

// err returns an error naming every broken invariant, or nil.
func (r *report) err() error {
	var bad []string
	for _, s := range r.sections {
		for _, row := range s.rows {
			if row.bad {
				bad = append(bad, s.title+": "+row.label)
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("unaccounted for: %s", strings.Join(bad, "; "))
}

func (r *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range r.sections {
		fmt.Fprintf(tw, "%s\t\n", s.title)
		for _, row := range s.rows {
			mark := ""
			if row.bad {
				mark = "   <-- FAILED"
			}
			fmt.Fprintf(tw, "  %s\t%s%s\n", row.label, row.value, mark)
		}
	}
	tw.Flush()
	if err := r.err(); err != nil {
		fmt.Fprintf(w, "\nFAILED: %v\n", err)
		return
	}
	fmt.Fprintln(w, "\nOK: every resource is accounted for and no temp file is left.")
}

// progressLine is one line of progress: registry figures, then each
// component's.
func progressLine(elapsed time.Duration, e *env, comps []component) string {
	h := e.registry.Health()
	var b strings.Builder
	fmt.Fprintf(&b, "[%4.1fs] live=%d queued=%d running=%d registered=%d released=%d failed=%d leaked=%d expired=%d",
		elapsed.Seconds(), h.Live, h.QueueDepth, h.Running, e.events.get(resource.Registered),
		e.events.get(resource.Released), e.events.get(resource.GaveUp), e.events.get(resource.Leaked),
		e.events.get(resource.Expired))
	for _, c := range comps {
		if p, ok := c.(progresser); ok {
			fmt.Fprintf(&b, " | %s: %s", c.name(), p.progress())
		}
	}
	return b.String()
}

// removeDir removes the demo's temp dir (the check that it was empty has
// already been made).
func removeDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}
