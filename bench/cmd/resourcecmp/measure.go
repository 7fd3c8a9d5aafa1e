package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
	"time"

	rb "github.com/patinox/memory/bench/resource"
)

// tpSamples are the runs of one implementation at one goroutine count.
type tpSamples struct{ ns, cpu, allocs []float64 }

func (t *tpSamples) add(r rb.ThroughputResult) {
	t.ns = append(t.ns, r.NsPerOp())
	t.cpu = append(t.cpu, r.CPUNsPerOp())
	t.allocs = append(t.allocs, r.AllocsPerOp())
}

func throughput(w io.Writer, c config) error {
	impls := rb.Impls()
	counts := []int{1, 2, 64}
	samples := make([][]tpSamples, len(counts)) // [goroutine count][impl]
	for gi, g := range counts {
		samples[gi] = make([]tpSamples, len(impls))
		// Runs interleave the implementations, so a change of load on the
		// machine touches them alike.
		for range c.runs {
			for i, im := range impls {
				res, err := rb.Throughput(im, g, c.duration)
				if err != nil {
					return fmt.Errorf("%s: %w", im.Name, err)
				}
				samples[gi][i].add(res)
				progress("(a) %s goroutines=%d: %.0f ns/op, %.0f cpu-ns/op", im.Name, g, res.NsPerOp(), res.CPUNsPerOp())
			}
		}
	}
	fmt.Fprintf(w, "(a) Track+Release, %v per run: wall-clock ns/op (allocs/op); speed-up = seed ÷ impl\n", c.duration)
	tpTable(w, impls, counts, samples, func(t tpSamples) []float64 { return t.ns }, true)
	fmt.Fprintln(w, "    the same runs in process CPU ns/op (GC and runtime cleanups included; steadier on a shared machine)")
	tpTable(w, impls, counts, samples, func(t tpSamples) []float64 { return t.cpu }, false)
	return nil
}

func tpTable(w io.Writer, impls []rb.Impl, counts []int, samples [][]tpSamples, pick func(tpSamples) []float64, allocs bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "goroutines\t")
	for _, im := range impls {
		fmt.Fprintf(tw, "%s\t", im.Name)
	}
	for _, im := range impls[1:] {
		fmt.Fprintf(tw, "seed ÷ %s\t", im.Name)
	}
	fmt.Fprintln(tw)
	for gi, g := range counts {
		fmt.Fprintf(tw, "%d\t", g)
		med := make([]float64, len(impls))
		for i := range impls {
			med[i] = rb.Median(pick(samples[gi][i]))
			if allocs {
				fmt.Fprintf(tw, "%.0f (%.1f)\t", med[i], rb.Median(samples[gi][i].allocs))
			} else {
				fmt.Fprintf(tw, "%.0f\t", med[i])
			}
		}
		for i := 1; i < len(impls); i++ {
			fmt.Fprintf(tw, "%s\t", ratio(med[0], med[i]))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func criticalDelay(w io.Writer, c config) error {
	impls := rb.Impls()
	fmt.Fprintf(w, "(b) Critical cleanup queued behind %d Low cleanups of %v busy work: median delay before it starts\n", c.burst, c.work)
	fmt.Fprintln(w, "    both times count from the moment the Critical cleanup is queued")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "impl\tcritical delay\tmin\tmax\tlast cleanup done after\tseed delay ÷ impl delay\t")
	delays := make([][]float64, len(impls))
	drains := make([][]float64, len(impls))
	for range c.runs {
		for i, im := range impls {
			res, err := rb.CriticalDelay(im, rb.DelayConfig{Burst: c.burst, Work: c.work})
			if err != nil {
				return fmt.Errorf("%s: %w", im.Name, err)
			}
			delays[i] = append(delays[i], float64(res.Delay))
			drains[i] = append(drains[i], float64(res.Drain))
			progress("(b) %s: delay %v, drain %v", im.Name, res.Delay, res.Drain)
		}
	}
	seedDelay := rb.Median(delays[0])
	for i, im := range impls {
		d := rb.Median(delays[i])
		lo, hi := minMax(delays[i])
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%v\t%s\t\n", im.Name, dur(d), dur(lo), dur(hi), dur(rb.Median(drains[i])), ratio(seedDelay, d))
	}
	return tw.Flush()
}

func idle(w io.Writer, c config) error {
	impls := rb.Impls()
	fmt.Fprintf(w, "(c) idle registry holding %d live resources (ours: each with a 1h TTL and 30m idle timeout), %v windows: wake-ups per second\n", c.held, c.window)
	fmt.Fprintln(w, "    switches = context switches of the whole process (/proc/self/task/*/status) minus a baseline window with no registry")
	var base []float64
	per := make([][]float64, len(impls))
	loops := make([][]float64, len(impls))
	gs := make([][]float64, len(impls))
	for range c.runs {
		b, err := rb.BaselineWakeups(c.window)
		if err != nil {
			return err
		}
		base = append(base, b.PerSecond(b.Switches))
		for i, im := range impls {
			res, err := rb.IdleWakeups(im, c.window, c.held)
			if err != nil {
				return fmt.Errorf("%s: %w", im.Name, err)
			}
			per[i] = append(per[i], res.PerSecond(res.Switches-b.Switches))
			gs[i] = append(gs[i], float64(res.Goroutines))
			if res.LoopWakeups >= 0 {
				loops[i] = append(loops[i], res.PerSecond(res.LoopWakeups))
			}
			progress("(c) %s: %d switches (baseline %d), loop %d", im.Name, res.Switches, b.Switches, res.LoopWakeups)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "impl\tidle goroutines\tpoll-loop wake-ups/s\tswitches/s above baseline\tmin\tmax\t")
	for i, im := range impls {
		loop := "none (no poll loop)"
		if len(loops[i]) > 0 {
			loop = fmt.Sprintf("%.1f", rb.Median(loops[i]))
		}
		lo, hi := minMax(per[i])
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%.1f\t%.1f\t%.1f\t\n", im.Name, rb.Median(gs[i]), loop, rb.Median(per[i]), lo, hi)
	}
	lo, hi := minMax(base)
	fmt.Fprintf(tw, "baseline (no registry, absolute)\t\t\t%.1f\t%.1f\t%.1f\t\n", rb.Median(base), lo, hi)
	if err := tw.Flush(); err != nil {
		return err
	}
	seed := rb.Median(per[0])
	for i := 1; i < len(impls); i++ {
		fmt.Fprintf(w, "    seed − %s = %.0f switches/s; %s has no poll loop (polls ratio %s) and keeps %.0f goroutines idle\n",
			impls[i].Name, seed-rb.Median(per[i]), impls[i].Name, ratio(rb.Median(loops[0]), 0), rb.Median(gs[i]))
	}
	return nil
}

// ratio formats a ÷ b.
func ratio(a, b float64) string {
	switch {
	case b <= 0 && a > 0:
		return "∞"
	case b <= 0:
		return "-"
	case a/b >= 100:
		return fmt.Sprintf("%.0f×", a/b)
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func dur(ns float64) time.Duration {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Nanosecond)
}

func minMax(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// progress reports a finished run on stderr, so a long run shows it is alive
// while stdout keeps only the tables.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "  "+format+"\n", args...)
}
