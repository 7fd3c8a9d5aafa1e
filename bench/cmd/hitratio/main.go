// Command hitratio replays cache request traces against this repository's
// eviction policies and against peer libraries and reports hit ratios.
//
// Every trace listed in the manifest (traces.tsv) is replayed at each of its
// suggested capacities, plus a Zipf workload (s=0.99 over 1M keys, 2M
// requests, fixed seed). Each request is a Get; a miss is followed by a Set.
// Peers run with their maintenance applied synchronously (see the adapter
// files). Bélády's offline optimum is computed for reference.
//
// Usage (from the bench module):
//
//	go run ./cmd/hitratio [-traces dir] [-only substr] [-policies a,b] [-csv out.csv] [-svg out.svg]
//	    [-parallel N] [-sync op|batch] [-merge old.csv,...] [-replay a,b]
//
// The table lists, per trace and capacity, every policy's hit ratio in
// percent, the best peer's, and the default policy's (tinylfu) gap to it;
// then each policy's mean over the points where every policy has a result,
// and tinylfu's worst gap. -merge takes the columns of selected policies
// from the CSV files of earlier runs instead of replaying them (the peers
// are most of the cost); see results/README.md.
//
// The full simulation holds every trace in memory (about 0.5 GB) and, on
// two cores, takes minutes for this repository's policies and more than an
// hour for otter and theine with -sync op.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hitratio:", err)
		os.Exit(1)
	}
}

// Values of -sync.
const (
	syncOp    = "op"
	syncBatch = "batch"
)

// syncMode is the -sync flag, read by the peer adapters.
var syncMode = syncOp

type config struct {
	traces   string
	only     string
	policies []policy
	csv, svg string
	merge    string
	replay   string
	parallel int
}

func run() error {
	var cfg config
	var names string
	flag.StringVar(&cfg.traces, "traces", "", "directory with traces.tsv and *.trace.gz (default: ../shared/traces next to the repository)")
	flag.StringVar(&cfg.only, "only", "", "replay only traces whose name contains this (comma-separated alternatives; \"zipf\" selects the Zipf workload)")
	flag.StringVar(&names, "policies", "", "comma-separated policies to run (default: all): "+strings.Join(policyNames(), ","))
	flag.StringVar(&cfg.csv, "csv", "", "write the results as CSV to this file")
	flag.StringVar(&cfg.svg, "svg", "", "write a chart as SVG to this file")
	flag.IntVar(&cfg.parallel, "parallel", runtime.GOMAXPROCS(0), "points replayed in parallel")
	flag.StringVar(&cfg.merge, "merge", "", "comma-separated CSV files of earlier runs: selected policies found there are taken from them instead of replayed")
	flag.StringVar(&cfg.replay, "replay", "", "comma-separated policies to replay even if a -merge file has them")
	flag.StringVar(&syncMode, "sync", syncOp, "peer maintenance: \"op\" after every operation (exact, slow) or \"batch\" at the peers' own drain points (otter's reads; theine's writes are awaited after every Set either way)")
	flag.Parse()
	if syncMode != syncOp && syncMode != syncBatch {
		return fmt.Errorf("-sync must be %q or %q, got %q", syncOp, syncBatch, syncMode)
	}
	var err error
	if cfg.traces, err = tracesDir(cfg.traces); err != nil {
		return err
	}
	if cfg.policies, err = selectPolicies(names); err != nil {
		return err
	}
	selected := cfg.policies
	var merged []policy
	if cfg.merge != "" {
		if cfg.policies, merged, err = splitMerged(selected, strings.Split(cfg.merge, ","), strings.Split(cfg.replay, ",")); err != nil {
			return err
		}
	}
	start := time.Now()
	res, err := simulate(cfg)
	if err != nil {
		return err
	}
	elapsed := time.Since(start).Round(time.Second)
	if cfg.merge != "" {
		if err := mergeCSV(res, merged, strings.Split(cfg.merge, ","), selected); err != nil {
			return err
		}
	}
	printTable(os.Stdout, res)
	fmt.Printf("\nelapsed: %s (parallel=%d)\n", elapsed, cfg.parallel)
	return writeOutputs(cfg, res)
}

func writeOutputs(cfg config, res *results) error {
	var errs []error
	if cfg.csv != "" {
		errs = append(errs, writeFile(cfg.csv, func(f *os.File) error { return writeCSV(f, res) }))
	}
	if cfg.svg != "" {
		errs = append(errs, writeFile(cfg.svg, func(f *os.File) error { return writeSVG(f, res) }))
	}
	return errors.Join(errs...)
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(write(f), f.Close())
}

// tracesDir resolves the traces directory: the flag if given, else
// shared/traces beside the repository, found by walking up from the
// working directory to the directory that holds shared/traces/traces.tsv.
func tracesDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		cand := filepath.Join(dir, "shared", "traces")
		if _, err := os.Stat(filepath.Join(cand, "traces.tsv")); err == nil {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find shared/traces/traces.tsv above the working directory; use -traces")
		}
		dir = parent
	}
}

func policyNames() []string {
	var out []string
	for _, p := range allPolicies() {
		out = append(out, p.name)
	}
	return out
}

func selectPolicies(names string) ([]policy, error) {
	all := allPolicies()
	if names == "" {
		return all, nil
	}
	var out []policy
	for n := range strings.SplitSeq(names, ",") {
		i := slices.IndexFunc(all, func(p policy) bool { return p.name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown policy %q (have %s)", n, strings.Join(policyNames(), ","))
		}
		out = append(out, all[i])
	}
	return out, nil
}
