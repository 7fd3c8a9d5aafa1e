package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

type config struct {
	runs     int
	duration time.Duration
	burst    int
	work     time.Duration
	window   time.Duration
	held     int
	only     string
}

func main() {
	var c config
	flag.IntVar(&c.runs, "runs", 5, "runs per measurement; tables show medians")
	flag.DurationVar(&c.duration, "duration", 500*time.Millisecond, "(a) length of one throughput run")
	flag.IntVar(&c.burst, "burst", 100_000, "(b) Low cleanups queued before the Critical one")
	flag.DurationVar(&c.work, "work", 10*time.Microsecond, "(b) busy work of each Low cleanup")
	flag.DurationVar(&c.window, "window", time.Second, "(c) length of one idle window")
	flag.IntVar(&c.held, "held", 100, "(c) live resources the idle registry holds")
	flag.StringVar(&c.only, "only", "a,b,c", "measurements to run, comma-separated")
	flag.Parse()
	if err := run(os.Stdout, c); err != nil {
		fmt.Fprintln(os.Stderr, "resourcecmp:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, c config) error {
	if c.runs < 1 {
		return fmt.Errorf("-runs must be >= 1, got %d", c.runs)
	}
	fmt.Fprintf(w, "resourcecmp: seed transcription vs patinox/memory/resource; medians of %d runs\n", c.runs)
	fmt.Fprintf(w, "%s %s/%s, GOMAXPROCS=%d, %d CPUs%s\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.GOMAXPROCS(0), runtime.NumCPU(), loadAverage())
	steps := []struct {
		key string
		fn  func(io.Writer, config) error
	}{
		// (c) first: it needs a quiet process.
		{"c", idle},
		{"a", throughput},
		{"b", criticalDelay},
	}
	for _, s := range steps {
		if !strings.Contains(c.only, s.key) {
			continue
		}
		if err := s.fn(w, c); err != nil {
			return fmt.Errorf("(%s): %w", s.key, err)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// loadAverage returns ", load average a b c" from /proc/loadavg, or "" where
// there is none: the machine's load explains much of the noise.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return ", load average " + strings.Join(f[:3], " ")
}
