package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
)

// splitMerged splits the selected policies into those to replay and those
// whose results the -merge files hold: the peers and Bélády do not change
// when this repository's policies do, and replaying them is most of the
// simulation's cost. Policies named in force are replayed in any case.
func splitMerged(selected []policy, paths []string, force []string) (replay, merged []policy, err error) {
	have := map[string]bool{}
	for _, path := range paths {
		rows, err := readCSV(path)
		if err != nil {
			return nil, nil, err
		}
		for _, name := range rows[0] {
			have[name] = true
		}
	}
	for _, p := range selected {
		if have[p.name] && !slices.Contains(force, p.name) {
			merged = append(merged, p)
		} else {
			replay = append(replay, p)
		}
	}
	return replay, merged, nil
}

// mergeCSV adds the merged policies' columns to res from the -merge files,
// then orders the columns as order. Points that no file covers stay missing
// (NaN) for those policies.
func mergeCSV(res *results, merged []policy, paths []string, order []policy) error {
	for _, p := range merged {
		res.addPolicy(p)
	}
	for _, path := range paths {
		rows, err := readCSV(path)
		if err != nil {
			return err
		}
		for col, name := range rows[0] {
			if !res.merged[name] {
				continue
			}
			if err := fillColumn(res, rows[1:], col, res.index(name)); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	res.reorder(order)
	return nil
}

// reorder puts the policy columns in the given order.
func (r *results) reorder(order []policy) {
	idx := make([]int, 0, len(order))
	for _, p := range order {
		if qi := r.index(p.name); qi >= 0 {
			idx = append(idx, qi)
		}
	}
	pols := make([]policy, len(idx))
	for i, qi := range idx {
		pols[i] = r.policies[qi]
	}
	for pi := range r.hit {
		row := make([]float64, len(idx))
		for i, qi := range idx {
			row[i] = r.hit[pi][qi]
		}
		r.hit[pi] = row
	}
	r.policies = pols
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 || len(rows[0]) < 3 || rows[0][0] != "trace" {
		return nil, fmt.Errorf("%s: not a hitratio CSV", path)
	}
	return rows, nil
}

func fillColumn(res *results, rows [][]string, col, qi int) error {
	for _, row := range rows {
		c, err := strconv.Atoi(row[1])
		if err != nil {
			return err
		}
		pi := slices.IndexFunc(res.points, func(p point) bool { return p.w.name == row[0] && p.capacity == c })
		if pi < 0 || row[col] == "" {
			continue
		}
		v, err := strconv.ParseFloat(row[col], 64)
		if err != nil {
			return err
		}
		res.hit[pi][qi] = v
	}
	return nil
}

// addPolicy appends a merged policy column, missing everywhere.
func (r *results) addPolicy(p policy) int {
	r.policies = append(r.policies, p)
	if r.merged == nil {
		r.merged = map[string]bool{}
	}
	r.merged[p.name] = true
	for pi := range r.hit {
		r.hit[pi] = append(r.hit[pi], math.NaN())
	}
	return len(r.policies) - 1
}
