package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patinox/memory/resource"
)

// demoConfig is the demo's command line.
type demoConfig struct {
	agents   int
	duration time.Duration
	seed     uint64
	progress time.Duration // interval of progress lines (not a flag; tests shorten it)
	// shutdownTimeout bounds the registry's Shutdown (not a flag; 0 means
	// 30s; tests shorten it to make a hung cleanup fail the demo quickly).
	shutdownTimeout time.Duration

	memlimit  int64 // --memlimit in bytes; 0: the default demo, no limit set
	noMonitor bool  // --no-monitor: set the limit but run without a pressure.Monitor

	inspect func(*env) // tests only: called with the run's env after the registry's Shutdown
}

func parseDemo(args []string, stderr io.Writer) (demoConfig, error) {
	c := demoConfig{progress: time.Second}
	fs := flag.NewFlagSet(programName+" demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.agents, "agents", 50, "number of simulated agents")
	fs.DurationVar(&c.duration, "duration", 3*time.Second, "how long the agents run")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed; the same seed gives the same plan of actions")
	fs.Func("memlimit", "set the Go memory limit (e.g. 256MiB; units B, KiB, MiB, GiB) and run the\nmemory-pressure demo: a cache of large responses bounded above the limit,\nshrunk by a pressure.Monitor", func(v string) error {
		n, err := parseSize(v)
		c.memlimit = n
		return err
	})
	fs.BoolVar(&c.noMonitor, "no-monitor", false, "with --memlimit: same workload and limit, but no pressure.Monitor")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s demo [--agents N] [--duration D] [--seed S] [--memlimit SIZE [--no-monitor]]\n\n", programName)
		fmt.Fprintln(stderr, "Simulates an agent fleet that opens tracked resources in one resource.Registry,")
		fmt.Fprintln(stderr, "leaks some, fails some cleanups, then shuts down and accounts for every resource.")
		fmt.Fprintln(stderr, "With --memlimit it also caches large responses under a memory limit and shows")
		fmt.Fprintln(stderr, "the pressure levels, the cache's bound and the reclaimed bytes over time.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	switch {
	case c.agents < 1:
		return c, fmt.Errorf("--agents must be >= 1, got %d", c.agents)
	case c.duration <= 0:
		return c, fmt.Errorf("--duration must be > 0, got %v", c.duration)
	case c.noMonitor && c.memlimit == 0:
		return c, errors.New("--no-monitor needs --memlimit")
	}
	return c, nil
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	c, err := parseDemo(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s demo: %v\n", programName, err)
		return exitUsage
	}
	if err := demo(c, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "%s demo: FAILED: %v\n", programName, err)
		return exitFailed
	}
	return exitOK
}

// demo runs the whole demo and returns an error when it could not run or
// when anything is unaccounted for.
func demo(c demoConfig, stdout, stderr io.Writer) (err error) {
	stderr = &lockedWriter{w: stderr} // progress, timeline and agents write concurrently
	dir, err := os.MkdirTemp("", "patinox-mem-demo-*")
	if err != nil {
		return err
	}
	e := &env{dir: dir, seed: c.seed, agents: c.agents, duration: c.duration, log: stderr}
	defer func() { err = errors.Join(err, removeDir(dir)) }()
	closeMemory, err := setupMemory(c, e)
	if err != nil {
		return err
	}
	defer closeMemory() // after the registry's Shutdown, which ends its subscription
	e.registry, err = resource.NewRegistry(&resource.Options{
		Observer:       e,
		CleanupTimeout: 2 * time.Second,
		RetryBackoff:   5 * time.Millisecond,
		Pressure:       e.pressure,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s demo: %d agents for %v, seed %d, temp dir %s\n", programName, c.agents, c.duration, c.seed, dir)
	if c.memlimit > 0 {
		fmt.Fprintf(stderr, "%s demo: memory limit %s, %s\n", programName, formatBytes(c.memlimit), monitorState(e))
	}
	started, runErr := startAll(e, buildComponents())
	if runErr == nil {
		runAgents(c, e, started, stderr)
	}
	stopErr := stopAll(started)
	shut := shutdown(e, c.shutdownTimeout)
	if c.inspect != nil {
		c.inspect(e)
	}
	var rep report
	rep.addRegistry(e, shut)
	for _, comp := range started {
		rep.addComponent(comp)
	}
	rep.checkDir(dir)
	fmt.Fprintf(stdout, "%s demo: %d agents for %v, seed %d", programName, c.agents, c.duration, c.seed)
	if c.memlimit > 0 {
		fmt.Fprintf(stdout, ", memory limit %s, %s", formatBytes(c.memlimit), monitorState(e))
	}
	fmt.Fprint(stdout, "\n\n")
	rep.print(stdout)
	return errors.Join(runErr, stopErr, rep.err())
}

// startAll starts the components in order and returns those that started.
func startAll(e *env, comps []component) ([]component, error) {
	ctx := context.Background()
	for i, comp := range comps {
		if err := comp.start(ctx, e); err != nil {
			return comps[:i], fmt.Errorf("%s: start: %w", comp.name(), err)
		}
	}
	return comps, nil
}

// stopAll stops the components in reverse order, keeping going after a
// failure.
func stopAll(comps []component) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for i := len(comps) - 1; i >= 0; i-- {
		if err := comps[i].stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: stop: %w", comps[i].name(), err))
		}
	}
	return errors.Join(errs...)
}

// runAgents runs the fleet for c.duration with progress lines on stderr.
func runAgents(c demoConfig, e *env, comps []component, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), c.duration)
	defer cancel()
	var stepErrs atomic.Int64
	var wg sync.WaitGroup
	for agent := range c.agents {
		rng := rand.New(rand.NewPCG(c.seed, uint64(agent)))
		wg.Go(func() { agentLoop(ctx, agent, rng, comps, &stepErrs, stderr) })
	}
	stopProgress := startProgress(c.progress, e, comps, stderr)
	wg.Wait()
	stopProgress()
	if n := stepErrs.Load(); n > 0 {
		fmt.Fprintf(stderr, "%s demo: %d agent steps returned an error\n", programName, n)
	}
}

// agentLoop gives each component a turn, then pauses 1-4 ms, until ctx ends.
func agentLoop(ctx context.Context, agent int, rng *rand.Rand, comps []component, errs *atomic.Int64, stderr io.Writer) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		for _, comp := range comps {
			if err := comp.step(ctx, agent, rng); err != nil && ctx.Err() == nil {
				if errs.Add(1) <= 5 {
					fmt.Fprintf(stderr, "agent %d: %s: %v\n", agent, comp.name(), err)
				}
			}
		}
		t.Reset(time.Millisecond + randDur(rng, 3*time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startProgress prints a progress line every interval until the returned
// function is called (which waits for the goroutine to end). Each tick also
// runs a garbage collection, so the leak detector sees guards the agents
// dropped.
func startProgress(interval time.Duration, e *env, comps []component, stderr io.Writer) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.GC()
				fmt.Fprintln(stderr, progressLine(time.Since(start), e, comps))
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// lockedWriter serializes writes to w, so that lines written concurrently
// (progress, the memory timeline, agents' errors) neither interleave nor race.
type lockedWriter struct {
	mu sync.Mutex // protects w
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
