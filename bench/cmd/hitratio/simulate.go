package main

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patinox/memory/bench/internal/belady"
	"github.com/patinox/memory/bench/internal/trace"
	"github.com/patinox/memory/bench/internal/zipf"
)

// The Zipf workload.
const (
	zipfName     = "zipf-0.99"
	zipfItems    = 1_000_000
	zipfExponent = 0.99
	zipfRequests = 2_000_000
	zipfSeed     = 42
)

var zipfCapacities = []int{1000, 10_000, 50_000, 100_000}

// workload is a request sequence loaded on first use and shared by the
// points that replay it.
type workload struct {
	name       string
	requests   int
	capacities []int
	keys       func() ([]uint64, error)
	next       func() ([]int32, error) // Bélády's next-use table
}

type point struct {
	w        *workload
	capacity int
}

// results holds hit ratios in percent: hit[point][policy].
type results struct {
	policies []policy
	points   []point
	hit      [][]float64
	merged   map[string]bool // policies whose results came from -merge files
}

func workloads(cfg config) ([]*workload, error) {
	manifest, err := trace.ReadManifest(cfg.traces)
	if err != nil {
		return nil, err
	}
	var ws []*workload
	for _, e := range manifest {
		ws = append(ws, newWorkload(e.Name, e.Requests, e.Capacities, func() ([]uint64, error) {
			return readTrace(cfg.traces, e)
		}))
	}
	ws = append(ws, newWorkload(zipfName, zipfRequests, zipfCapacities, func() ([]uint64, error) {
		return zipf.Keys(zipfItems, zipfExponent, zipfRequests, zipfSeed)
	}))
	return slices.DeleteFunc(ws, func(w *workload) bool { return !selected(cfg.only, w.name) }), nil
}

// readTrace reads the trace of manifest entry e and checks that it holds
// the number of requests the manifest lists: a file that decodes cleanly
// but is shorter or longer (cut at a varint boundary and recompressed, or
// another trace) would otherwise yield hit ratios of a different trace.
func readTrace(dir string, e trace.Entry) ([]uint64, error) {
	path := trace.Path(dir, e.Name)
	keys, err := trace.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(keys) != e.Requests {
		return nil, fmt.Errorf("trace %s: %s holds %d requests, the manifest lists %d", e.Name, path, len(keys), e.Requests)
	}
	return keys, nil
}

func newWorkload(name string, requests int, caps []int, load func() ([]uint64, error)) *workload {
	w := &workload{name: name, requests: requests, capacities: caps, keys: sync.OnceValues(load)}
	w.next = sync.OnceValues(func() ([]int32, error) {
		keys, err := w.keys()
		if err != nil {
			return nil, err
		}
		return belady.NextUse(keys), nil
	})
	return w
}

func selected(only, name string) bool {
	if only == "" {
		return true
	}
	for alt := range strings.SplitSeq(only, ",") {
		if alt != "" && strings.Contains(name, alt) {
			return true
		}
	}
	return false
}

type job struct{ pi, qi int }

// simulate replays every point with every policy, cfg.parallel at a time,
// the largest workloads first.
func simulate(cfg config) (*results, error) {
	ws, err := workloads(cfg)
	if err != nil {
		return nil, err
	}
	res := &results{policies: cfg.policies}
	for _, w := range ws {
		for _, c := range w.capacities {
			res.points = append(res.points, point{w, c})
		}
	}
	res.hit = make([][]float64, len(res.points))
	var jobs []job
	for pi := range res.points {
		res.hit[pi] = make([]float64, len(res.policies))
		for qi := range res.policies {
			jobs = append(jobs, job{pi, qi})
		}
	}
	slices.SortStableFunc(jobs, func(a, b job) int {
		return cmp.Compare(res.points[b.pi].w.requests, res.points[a.pi].w.requests)
	})
	return res, runJobs(cfg.parallel, jobs, res)
}

func runJobs(parallel int, jobs []job, res *results) error {
	ch := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex // protects firstErr
	var firstErr error
	for range max(parallel, 1) {
		wg.Go(func() {
			for j := range ch {
				if err := runJob(j, res); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return firstErr
}

func runJob(j job, res *results) error {
	pt, pol := res.points[j.pi], res.policies[j.qi]
	keys, err := pt.w.keys()
	if err != nil {
		return err
	}
	start := time.Now()
	var hits int
	if pol.kind == optimum {
		next, err := pt.w.next()
		if err != nil {
			return err
		}
		hits = belady.Hits(keys, next, pt.capacity)
	} else {
		hits = replay(pol.new(pt.capacity), keys)
	}
	res.hit[j.pi][j.qi] = 100 * float64(hits) / float64(max(len(keys), 1))
	fmt.Fprintf(os.Stderr, "%-24s %8d %-10s %6.2f%% %6.1fs\n", pt.w.name, pt.capacity, pol.name,
		res.hit[j.pi][j.qi], time.Since(start).Seconds())
	return nil
}

// replay runs keys through c: Get, and Set on a miss.
func replay(c simCache, keys []uint64) int {
	defer c.Close()
	hits := 0
	for _, k := range keys {
		if c.Get(k) {
			hits++
		} else {
			c.Set(k)
		}
	}
	return hits
}
