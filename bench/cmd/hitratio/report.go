package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
)

// defaultPolicy is the policy whose gap to the best peer is reported.
const defaultPolicy = "tinylfu"

// bestPeer returns the index and hit ratio of the best peer at point pi,
// or -1 when no peer ran.
func (r *results) bestPeer(pi int) (int, float64) {
	best, val := -1, math.Inf(-1)
	for qi, p := range r.policies {
		if p.kind == peer && !math.IsNaN(r.hit[pi][qi]) && r.hit[pi][qi] > val {
			best, val = qi, r.hit[pi][qi]
		}
	}
	return best, val
}

func (r *results) index(name string) int {
	for qi, p := range r.policies {
		if p.name == name {
			return qi
		}
	}
	return -1
}

// complete reports whether every policy has a result at point pi.
func (r *results) complete(pi int) bool {
	return !slices.ContainsFunc(r.hit[pi], math.IsNaN)
}

// completePoints counts the points where every policy has a result.
func (r *results) completePoints() int {
	n := 0
	for pi := range r.points {
		if r.complete(pi) {
			n++
		}
	}
	return n
}

// mean returns the mean hit ratio of policy qi over the complete points,
// so that every policy's mean covers the same points.
func (r *results) mean(qi int) float64 {
	sum := 0.0
	for pi := range r.points {
		if r.complete(pi) {
			sum += r.hit[pi][qi]
		}
	}
	return sum / float64(max(r.completePoints(), 1))
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func printTable(w io.Writer, r *results) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	ours := r.index(defaultPolicy)
	fmt.Fprint(tw, "trace\tcapacity\t")
	for _, p := range r.policies {
		fmt.Fprintf(tw, "%s\t", p.name)
	}
	fmt.Fprint(tw, "best peer\tgap\t\n")
	for pi, pt := range r.points {
		fmt.Fprintf(tw, "%s\t%d\t", pt.w.name, pt.capacity)
		for qi := range r.policies {
			fmt.Fprintf(tw, "%s\t", pct(r.hit[pi][qi]))
		}
		bi, bv := r.bestPeer(pi)
		if bi < 0 || ours < 0 || math.IsNaN(r.hit[pi][ours]) {
			fmt.Fprint(tw, "-\t-\t\n")
			continue
		}
		fmt.Fprintf(tw, "%s %.2f\t%+.2f\t\n", r.policies[bi].name, bv, r.hit[pi][ours]-bv)
	}
	tw.Flush()
	printSummary(w, r)
}

func printSummary(w io.Writer, r *results) {
	fmt.Fprintf(w, "\nmean hit ratio over the %d points where every policy has a result (of %d):\n", r.completePoints(), len(r.points))
	for qi, p := range r.policies {
		fmt.Fprintf(w, "  %-10s %6.2f%%\n", p.name, r.mean(qi))
	}
	ours := r.index(defaultPolicy)
	if ours < 0 || len(r.points) == 0 {
		return
	}
	bestSum, worst, worstAt, below2 := 0.0, math.Inf(1), -1, 0
	for pi := range r.points {
		bi, bv := r.bestPeer(pi)
		if bi < 0 || math.IsNaN(r.hit[pi][ours]) {
			continue
		}
		if r.complete(pi) {
			bestSum += bv
		}
		gap := r.hit[pi][ours] - bv
		if gap < worst {
			worst, worstAt = gap, pi
		}
		if gap < -2 {
			below2++
		}
	}
	if worstAt < 0 {
		return
	}
	pt := r.points[worstAt]
	bi, _ := r.bestPeer(worstAt)
	fmt.Fprintf(w, "  %-10s %6.2f%%  (best peer at each point)\n", "best-peer", bestSum/float64(max(r.completePoints(), 1)))
	fmt.Fprintf(w, "%s worst gap to the best peer: %+.2f points at %s capacity %d (best: %s); points more than 2 below: %d\n",
		defaultPolicy, worst, pt.w.name, pt.capacity, r.policies[bi].name, below2)
}

func writeCSV(w io.Writer, r *results) error {
	cw := csv.NewWriter(w)
	head := []string{"trace", "capacity"}
	for _, p := range r.policies {
		head = append(head, p.name)
	}
	head = append(head, "best_peer", "best_peer_hit", "gap")
	if err := cw.Write(head); err != nil {
		return err
	}
	ours := r.index(defaultPolicy)
	for pi, pt := range r.points {
		row := []string{pt.w.name, strconv.Itoa(pt.capacity)}
		for qi := range r.policies {
			row = append(row, csvFloat(r.hit[pi][qi]))
		}
		if bi, bv := r.bestPeer(pi); bi >= 0 && ours >= 0 && !math.IsNaN(r.hit[pi][ours]) {
			row = append(row, r.policies[bi].name, strconv.FormatFloat(bv, 'f', 3, 64),
				strconv.FormatFloat(r.hit[pi][ours]-bv, 'f', 3, 64))
		} else {
			row = append(row, "", "", "")
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
