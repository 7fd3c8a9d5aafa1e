package main

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patinox/memory/bench/internal/trace"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tinyTraces writes a manifest and one trace (a loop of 30 keys, then a hot
// set of 5 keys) into a temporary directory.
func tinyTraces(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var keys []uint64
	for i := range 300 {
		keys = append(keys, uint64(i%30))
	}
	for i := range 300 {
		keys = append(keys, 1000+uint64(i%5))
	}
	if err := trace.WriteFile(trace.Path(dir, "tiny"), keys); err != nil {
		t.Fatal(err)
	}
	manifest := "name\tsource\trequests\tunique\tcapacities\ntiny\ttest\t600\t35\t10,40\n"
	if err := os.WriteFile(filepath.Join(dir, "traces.tsv"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSimulateTinyTrace(t *testing.T) {
	pols, err := selectPolicies("tinylfu,hlru,belady")
	if err != nil {
		t.Fatal(err)
	}
	res, err := simulate(config{traces: tinyTraces(t), only: "tiny", policies: pols, parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.points) != 2 {
		t.Fatalf("got %d points, want 2 (capacities 10 and 40)", len(res.points))
	}
	tests := []struct {
		name    string
		point   int
		policy  string
		want    float64 // percent
		atLeast bool
	}{
		// Capacity 40 holds every key: only the 35 first requests miss.
		{name: "fits/lru", point: 1, policy: "hlru", want: 100 * 565.0 / 600},
		{name: "fits/belady", point: 1, policy: "belady", want: 100 * 565.0 / 600},
		{name: "fits/tinylfu", point: 1, policy: "tinylfu", want: 100 * 565.0 / 600},
		// Capacity 10: LRU misses the whole loop, then hits the hot set.
		{name: "loop/lru", point: 0, policy: "hlru", want: 100 * 295.0 / 600},
		// Bélády keeps 9 loop keys (plus one slot to cycle) and the hot set.
		{name: "loop/belady", point: 0, policy: "belady", want: 100 * 295.0 / 600, atLeast: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := res.hit[tt.point][res.index(tt.policy)]
			if tt.atLeast && got < tt.want || !tt.atLeast && (got < tt.want-1e-9 || got > tt.want+1e-9) {
				t.Fatalf("hit ratio = %.3f%%, want %s%.3f%%", got, map[bool]string{true: "≥ ", false: ""}[tt.atLeast], tt.want)
			}
		})
	}
	for qi, p := range res.policies {
		if p.kind != optimum && res.hit[0][qi] > res.hit[0][res.index("belady")]+1e-9 {
			t.Errorf("%s beats Bélády: %.2f > %.2f", p.name, res.hit[0][qi], res.hit[0][res.index("belady")])
		}
	}
	checkOutputs(t, res)
}

func checkOutputs(t *testing.T, res *results) {
	t.Helper()
	var b bytes.Buffer
	if err := writeCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(rows) != 1+len(res.points) || rows[0][0] != "trace" {
		t.Fatalf("CSV has %d rows (header %v), want %d", len(rows), rows[0], 1+len(res.points))
	}
	b.Reset()
	if err := writeSVG(&b, res); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&b)
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG is not well-formed XML: %v", err)
			}
			break
		}
	}
	b.Reset()
	printTable(&b, res)
	if !strings.Contains(b.String(), "worst gap") {
		t.Fatalf("table has no summary:\n%s", b.String())
	}
}

func TestMergeTakesPeersFromCSV(t *testing.T) {
	dir := tinyTraces(t)
	pols, _ := selectPolicies("tinylfu,hlru")
	res, err := simulate(config{traces: dir, only: "tiny", policies: pols, parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.csv")
	f, _ := os.Create(path)
	if err := writeCSV(f, res); err != nil {
		t.Fatal(err)
	}
	f.Close()
	sel, _ := selectPolicies("tinylfu,hlru")
	replay, merged, err := splitMerged(sel, []string{path}, []string{"tinylfu"})
	if err != nil {
		t.Fatal(err)
	}
	if len(replay) != 1 || replay[0].name != "tinylfu" || len(merged) != 1 || merged[0].name != "hlru" {
		t.Fatalf("replay %v, merged %v; want tinylfu replayed and hlru merged", replay, merged)
	}
	res2, err := simulate(config{traces: dir, only: "tiny", policies: replay, parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := mergeCSV(res2, merged, []string{path}, sel); err != nil {
		t.Fatal(err)
	}
	for pi := range res.points {
		for _, name := range []string{"tinylfu", "hlru"} {
			got, want := res2.hit[pi][res2.index(name)], res.hit[pi][res.index(name)]
			if got < want-0.001 || got > want+0.001 {
				t.Errorf("point %d %s: merged %.3f, want %.3f", pi, name, got, want)
			}
		}
	}
}

// TestSimulateRejectsShortTrace replays a trace file that is a valid gzip
// stream but holds fewer requests than the manifest lists (a file cut at a
// varint boundary and recompressed, or the wrong file): the simulator must
// refuse it rather than publish hit ratios of a different trace.
func TestSimulateRejectsShortTrace(t *testing.T) {
	dir := tinyTraces(t)
	keys, err := trace.ReadFile(trace.Path(dir, "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	if err := trace.WriteFile(trace.Path(dir, "tiny"), keys[:len(keys)/2]); err != nil {
		t.Fatal(err)
	}
	pols, err := selectPolicies("lru")
	if err != nil {
		t.Fatal(err)
	}
	res, err := simulate(config{traces: dir, only: "tiny", policies: pols, parallel: 1})
	if err == nil {
		t.Fatalf("simulate of a 300-request file listed with 600 requests: err = nil, hit ratios %v", res.hit)
	}
	if !strings.Contains(err.Error(), "tiny") || !strings.Contains(err.Error(), "600") {
		t.Fatalf("simulate error = %q, want it to name the trace and the manifest's 600 requests", err)
	}
}

// TestSVGTitleCountsMeanPoints: the chart's bars are means over the points
// where every policy has a result (after -merge some may lack one), and
// its title must count those points, as the table's summary does.
func TestSVGTitleCountsMeanPoints(t *testing.T) {
	pols, err := selectPolicies("tinylfu,hlru")
	if err != nil {
		t.Fatal(err)
	}
	w := &workload{name: "w", capacities: []int{10, 20, 30}}
	res := &results{
		policies: pols,
		points:   []point{{w, 10}, {w, 20}, {w, 30}},
		hit:      [][]float64{{50, 40}, {60, math.NaN()}, {70, 65}},
	}
	var b bytes.Buffer
	if err := writeSVG(&b, res); err != nil {
		t.Fatal(err)
	}
	if want := "Mean hit ratio over 2 points"; !strings.Contains(b.String(), want) {
		t.Fatalf("SVG title does not say %q (means cover %d of %d points):\n%.300s", want, res.completePoints(), len(res.points), b.String())
	}
}
