package cow_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/cow"
	"pgregory.net/rapid"
)

// ledger is the state under test: a counter per writer and a total. The
// model is simply how many accepted updates each writer made.
type ledger struct {
	Per   map[int]int
	Total int
}

func cloneLedger(l ledger) ledger {
	l.Per = maps.Clone(l.Per)
	return l
}

// TestRapidConcurrentUpdatesAndWatchers runs random numbers of writers, each
// doing a random list of updates (some rejected by validation), against
// random numbers of watchers. Properties: no accepted update is lost, no
// rejected one shows, the version counts accepted updates, every watcher
// sees strictly increasing versions whose values match their version, and
// every watcher ends on the final version.
func TestRapidConcurrentUpdatesAndWatchers(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		writers := rapid.IntRange(1, 6).Draw(rt, "writers")
		watchers := rapid.IntRange(0, 4).Draw(rt, "watchers")
		plans := make([][]bool, writers) // true = a valid update, false = rejected
		for w := range plans {
			plans[w] = rapid.SliceOfN(rapid.Bool(), 0, 40).Draw(rt, "plan")
		}
		var failure error
		synctest.Test(t, func(t *testing.T) { failure = runLedger(t, plans, watchers) })
		if failure != nil {
			rt.Fatal(failure) // outside the bubble, so rapid can shrink
		}
	})
}

func runLedger(t *testing.T, plans [][]bool, watchers int) error {
	vv := cow.NewVersioned(ledger{Per: map[int]int{}}, cloneLedger)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	seen := make([][]cow.Snapshot[ledger], watchers)
	var wg sync.WaitGroup
	for i := range watchers {
		wg.Go(func() {
			for s := range vv.Watch(ctx) {
				seen[i] = append(seen[i], s)
			}
		})
	}
	synctest.Wait() // every watcher has its first snapshot
	var writers sync.WaitGroup
	errs := make(chan error, len(plans))
	for w, plan := range plans {
		writers.Go(func() {
			for _, valid := range plan {
				_, err := vv.Update(func(l ledger) (ledger, error) {
					l.Per[w]++
					l.Total++
					if !valid {
						return l, errInvalid
					}
					return l, nil
				})
				if valid != (err == nil) {
					errs <- fmt.Errorf("writer %d: Update(valid=%v) err = %v", w, valid, err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	synctest.Wait() // every watcher caught up and waits for a change
	cancel()
	wg.Wait()
	return checkLedger(vv, plans, seen)
}

func checkLedger(vv *cow.Versioned[ledger], plans [][]bool, seen [][]cow.Snapshot[ledger]) error {
	final, version := vv.Load()
	accepted := 0
	for w, plan := range plans {
		n := 0
		for _, valid := range plan {
			if valid {
				n++
			}
		}
		accepted += n
		if final.Per[w] != n {
			return fmt.Errorf("writer %d: %d updates visible, %d accepted (lost or leaked update)", w, final.Per[w], n)
		}
	}
	if final.Total != accepted || version != uint64(accepted)+1 {
		return fmt.Errorf("Total = %d, version = %d; want %d, %d", final.Total, version, accepted, accepted+1)
	}
	for i, snaps := range seen {
		if len(snaps) == 0 || snaps[len(snaps)-1].Version != version {
			return fmt.Errorf("watcher %d did not end on the final version %d: %v", i, version, versions(snaps))
		}
		for j, s := range snaps {
			if s.Value.Total != int(s.Version)-1 || (j > 0 && s.Version <= snaps[j-1].Version) {
				return fmt.Errorf("watcher %d: inconsistent or unordered snapshots %v", i, versions(snaps))
			}
		}
	}
	if st := vv.Stats(); st.Writes != uint64(accepted) || st.FailedUpdates != uint64(countRejected(plans)) {
		return fmt.Errorf("Stats = %+v, want Writes %d", st, accepted)
	}
	return nil
}

func versions(snaps []cow.Snapshot[ledger]) []uint64 {
	out := make([]uint64, 0, len(snaps))
	for _, s := range snaps {
		out = append(out, s.Version)
	}
	return out
}

func countRejected(plans [][]bool) int {
	n := 0
	for _, p := range plans {
		n += len(p) - len(slices.DeleteFunc(slices.Clone(p), func(b bool) bool { return !b }))
	}
	return n
}

// TestRapidValueMatchesModel applies a random sequence of updates, some
// failing, to a Value and to a plain slice model.
func TestRapidValueMatchesModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		v := cow.New([]int{}, slices.Clone[[]int])
		var model []int
		ops := rapid.SliceOf(rapid.IntRange(-5, 20)).Draw(rt, "ops")
		for _, x := range ops {
			err := v.Update(func(s []int) ([]int, error) {
				s = append(s, x)
				if x < 0 {
					return nil, errors.New("negative")
				}
				return s, nil
			})
			if x >= 0 {
				model = append(model, x)
			}
			if (err == nil) != (x >= 0) {
				rt.Fatalf("Update(%d) err = %v", x, err)
			}
			if got := v.Load(); !slices.Equal(got, model) {
				rt.Fatalf("Load = %v, model %v", got, model)
			}
		}
	})
}
