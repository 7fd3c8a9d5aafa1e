package wheel

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestWheelJumps drives the wheel with Advances to arbitrary times (small
// steps, exact bucket boundaries of every level, jumps of days and years)
// and deadlines anywhere: in the past, exactly on a bucket boundary, near
// math.MaxInt64, or moved later behind the wheel's back (it learns of that
// through deadlineOf when it visits the slot), with slots moved and shrunk
// as the cache's compaction does. Every slot reported must be due; after
// each Advance no slot whose level-0 bucket has ended may still be
// scheduled, nor any due slot once the Advance entered a new bucket; Next
// and Due must lie after now and never after the end of a scheduled slot's
// level-0 bucket; Len must count the scheduled slots.
func TestWheelJumps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := rapid.Int64Range(0, 1<<50).Draw(t, "start")
		w := New(now)
		model := map[uint32]int64{}
		eff := map[uint32]int64{} // max(deadline, time scheduled): what the wheel files it by
		deadlineOf := func(s uint32) int64 { return model[s] }
		end := func(t int64) int64 { // end of the level-0 bucket that reports t
			if t>>30 >= math.MaxInt64>>30 {
				return math.MaxInt64
			}
			return (t>>30 + 1) << 30
		}
		deadline := func() int64 {
			switch rapid.IntRange(0, 4).Draw(t, "kind") {
			case 0: // in the past (or negative)
				return now - rapid.Int64Range(1, 1<<40).Draw(t, "ago")
			case 1: // near "never"
				return math.MaxInt64 - rapid.Int64Range(0, 1<<50).Draw(t, "before max")
			case 2: // exactly on a boundary of some level, give or take one
				sh := shifts[rapid.IntRange(0, levels-1).Draw(t, "level")]
				k := now>>sh + rapid.Int64Range(0, 70).Draw(t, "ticks")
				return k<<sh + rapid.Int64Range(-1, 1).Draw(t, "off")
			default:
				return now + rapid.Int64Range(1, 1<<rapid.IntRange(1, 62).Draw(t, "scale")).Draw(t, "ttl")
			}
		}
		advance := func(to int64) {
			expired := w.Advance(to, deadlineOf, nil)
			// An Advance into a new level-0 bucket visits that bucket, too:
			// it reports every slot due by now.
			bound := now >> 30 << 30 // slots filed before it must be gone
			if to>>30 > now>>30 {
				bound = to + 1
			}
			now = max(now, to)
			seen := map[uint32]bool{}
			for _, s := range expired {
				d, ok := model[s]
				if !ok || seen[s] {
					t.Fatalf("slot %d reported (scheduled %v, twice %v)", s, ok, seen[s])
				}
				if d > now {
					t.Fatalf("slot %d deadline %d reported at %d", s, d, now)
				}
				seen[s] = true
				delete(model, s)
				delete(eff, s)
			}
			for s, d := range eff {
				if d < bound {
					t.Fatalf("slot %d deadline %d still scheduled after Advance(%d)", s, d, now)
				}
			}
		}
		for range rapid.IntRange(1, 150).Draw(t, "ops") {
			slot := rapid.Uint32Range(0, 30).Draw(t, "slot")
			switch rapid.IntRange(0, 7).Draw(t, "op") {
			case 0, 1:
				d := deadline()
				if d == 0 {
					d = 1 // 0 means "no deadline"
				}
				w.Schedule(slot, d)
				model[slot], eff[slot] = d, max(d, now)
				if due := w.Due(d); due <= now || due > end(eff[slot]) {
					t.Fatalf("Due(%d) = %d at %d, want in (now, %d]", d, due, now, end(eff[slot]))
				}
			case 2:
				w.Cancel(slot)
				delete(model, slot)
				delete(eff, slot)
			case 3: // jump to any time
				sh := rapid.IntRange(0, 60).Draw(t, "jump scale")
				to := min(now+rapid.Int64Range(0, 1<<sh).Draw(t, "jump"), 1<<62) // 146 years
				if rapid.Bool().Draw(t, "boundary") {
					l := rapid.IntRange(0, levels-1).Draw(t, "boundary level")
					to = (to>>shifts[l] + 1) << shifts[l]
				}
				advance(to)
			case 4:
				to := rapid.Uint32Range(0, 30).Draw(t, "to")
				if _, busy := model[to]; busy || to == slot {
					break
				}
				w.Move(slot, to)
				if d, ok := model[slot]; ok {
					model[to], eff[to] = d, eff[slot]
					delete(model, slot)
					delete(eff, slot)
				}
			case 5:
				n := uint32(0)
				for s := range model {
					n = max(n, s+1)
				}
				w.Shrink(n)
			case 6:
				next, ok := w.Next()
				if ok != (len(model) > 0) {
					t.Fatalf("Next() ok = %v with %d scheduled", ok, len(model))
				}
				if !ok {
					break
				}
				for s, d := range eff {
					if next > end(d) || next <= now {
						t.Fatalf("Next() = %d at %d, slot %d deadline %d reportable by %d", next, now, s, model[s], end(d))
					}
				}
				advance(next)
			case 7: // the deadline moves later without Schedule, as a cache read
				// extending it does: the wheel must find out when it visits
				if d, ok := model[slot]; ok && d > 0 && d < math.MaxInt64 {
					d += rapid.Int64Range(1, min(1<<rapid.IntRange(1, 50).Draw(t, "ext scale"), math.MaxInt64-d)).Draw(t, "ext")
					model[slot], eff[slot] = d, max(eff[slot], d)
				}
			}
			if w.Len() != len(model) {
				t.Fatalf("Len() = %d, want %d", w.Len(), len(model))
			}
		}
	})
}
