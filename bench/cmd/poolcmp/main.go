// Command poolcmp compares connection pools under contention: goroutines
// acquire, hold for a moment and release, in a loop, over a fixed window;
// it prints throughput, wait-time quantiles and Jain's fairness index of the
// per-goroutine acquisition counts, the median of several runs per pool.
//
//	go run ./cmd/poolcmp -goroutines 32 -conns 4 -window 1s -runs 5
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/patinox/memory/bench/pool"
)

func main() {
	goroutines := flag.Int("goroutines", 32, "goroutines acquiring")
	conns := flag.Int("conns", 4, "connections in each pool")
	window := flag.Duration("window", time.Second, "measurement window per run")
	hold := flag.Duration("hold", 20*time.Microsecond, "time a connection is held")
	spin := flag.Bool("spin", false, "hold by spinning on the CPU instead of sleeping")
	runs := flag.Int("runs", 5, "runs per pool (the median is printed)")
	flag.Parse()

	mode := "sleeping"
	if *spin {
		mode = "spinning"
	}
	fmt.Printf("%d goroutines, %d connections, hold %v (%s), window %v, median of %d runs (pools interleaved)\n\n",
		*goroutines, *conns, *hold, mode, *window, *runs)
	results := make(map[string][]pool.Result)
	for range *runs {
		for _, peer := range pool.Peers {
			p := peer.New(*conns)
			results[peer.Name] = append(results[peer.Name], pool.Contend(p, *goroutines, *window, *hold, !*spin))
			p.Close()
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pool\tacquires/s\twait p50\twait p99\twait p99.9\tJain\tmin share\t")
	for _, peer := range pool.Peers {
		rs := results[peer.Name]
		fmt.Fprintf(tw, "%s\t%.0f\t%v\t%v\t%v\t%.4f\t%.3f\t\n", peer.Name,
			median(rs, func(r pool.Result) float64 { return r.PerSecond }),
			time.Duration(median(rs, func(r pool.Result) float64 { return float64(r.P50) })),
			time.Duration(median(rs, func(r pool.Result) float64 { return float64(r.P99) })),
			time.Duration(median(rs, func(r pool.Result) float64 { return float64(r.P999) })),
			median(rs, func(r pool.Result) float64 { return r.Jain }),
			median(rs, func(r pool.Result) float64 { return r.MinShare }))
	}
	tw.Flush()
}

func median(rs []pool.Result, f func(pool.Result) float64) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}
