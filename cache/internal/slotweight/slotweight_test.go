package slotweight

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTableModel checks Table against a map (absent: weight 1) through
// random Sets, copies, Moves and Shrinks.
func TestTableModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var tb, cp Table
		model := map[uint32]int64{}
		for range rapid.IntRange(1, 300).Draw(t, "ops") {
			slot := rapid.Uint32Range(0, 200).Draw(t, "slot")
			w := rapid.SampledFrom([]int64{0, 1, 1, 1, 2, 1000}).Draw(t, "w")
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0: // the cache moved slot's entry to a free slot
				to := rapid.Uint32Range(0, 200).Draw(t, "to")
				if to == slot {
					break
				}
				tb.Move(slot, to)
				if w, ok := model[slot]; ok {
					model[to] = w
				} else {
					delete(model, to)
				}
				delete(model, slot)
			case 1: // no entry at slot or above
				tb.Shrink(slot)
				for s := range model {
					if s >= slot {
						delete(model, s)
					}
				}
			default:
				tb.Set(slot, w)
				model[slot] = w
			}
			if rapid.IntRange(0, 20).Draw(t, "copy") == 0 {
				cp.CopyFrom(&tb)
				if cp.Weighted() != tb.Weighted() {
					t.Fatalf("copy weighted %v, original %v", cp.Weighted(), tb.Weighted())
				}
				cp.Set(slot, w+1) // must not reach the original
			}
			weighted := false
			for s := range uint32(201) {
				want, ok := model[s]
				if !ok {
					want = 1
				}
				weighted = weighted || want != 1
				if got := tb.Of(s); got != want {
					t.Fatalf("Of(%d) = %d, want %d", s, got, want)
				}
			}
			if weighted && !tb.Weighted() {
				t.Fatal("a weight other than 1 was set, but Weighted is false")
			}
		}
	})
}

func ExampleTable() {
	var t Table
	t.Set(3, 1) // nothing stored yet
	fmt.Println(t.Of(3), t.Weighted())
	t.Set(5, 40)
	fmt.Println(t.Of(5), t.Of(3), t.Of(100), t.Weighted())
	// Output:
	// 1 false
	// 40 1 1 true
}
