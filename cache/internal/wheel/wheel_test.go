package wheel

import (
	"testing"

	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const tick = int64(1) << 30

// TestWheelModel drives the wheel by jumping to Next() (as the cache's timer
// does), with slots moved and shrunk as the cache's compaction does, and
// checks against a map of deadlines that every slot expires no
// earlier than its deadline and no later than one level-0 bucket after it.
func TestWheelModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := rapid.Int64Range(0, 1<<40).Draw(t, "start")
		w := New(now)
		model := map[uint32]int64{}
		deadlineOf := func(s uint32) int64 { return model[s] }
		check := func(expired []uint32) {
			for _, s := range expired {
				d, ok := model[s]
				if !ok {
					t.Fatalf("slot %d expired but not scheduled", s)
				}
				if d > now || now > d+tick {
					t.Fatalf("slot %d deadline %d expired at %d", s, d, now)
				}
				delete(model, s)
			}
			for s, d := range model {
				if d+tick < now {
					t.Fatalf("slot %d deadline %d still scheduled at %d", s, d, now)
				}
			}
			if w.Len() != len(model) {
				t.Fatalf("Len() = %d, want %d", w.Len(), len(model))
			}
		}
		for range rapid.IntRange(1, 200).Draw(t, "ops") {
			slot := rapid.Uint32Range(0, 40).Draw(t, "slot")
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 4: // the cache moved slot's entry to a free slot
				to := rapid.Uint32Range(0, 40).Draw(t, "to")
				if _, busy := model[to]; busy || to == slot {
					break
				}
				w.Move(slot, to)
				if d, ok := model[slot]; ok {
					model[to] = d
					delete(model, slot)
				}
			case 5: // the cache's slots shrank to those in use
				n := uint32(0)
				for s := range model {
					n = max(n, s+1)
				}
				w.Shrink(n)
			case 0, 1:
				d := now + rapid.Int64Range(1, 1<<rapid.IntRange(20, 52).Draw(t, "scale")).Draw(t, "ttl")
				w.Schedule(slot, d)
				model[slot] = d
			case 2:
				w.Cancel(slot)
				delete(model, slot)
			case 3:
				next, ok := w.Next()
				if !ok {
					if len(model) != 0 {
						t.Fatalf("Next() = false with %d scheduled", len(model))
					}
					continue
				}
				if next <= now {
					t.Fatalf("Next() = %d, not after now %d", next, now)
				}
				now = next
				check(w.Advance(now, deadlineOf, nil))
			}
		}
		for len(model) > 0 {
			next, ok := w.Next()
			if !ok {
				t.Fatalf("Next() = false with %d scheduled", len(model))
			}
			now = next
			check(w.Advance(now, deadlineOf, nil))
		}
	})
}

// TestLazyDeadline checks that a slot whose deadline moved later is
// rescheduled, and one whose deadline was cleared is dropped.
func TestLazyDeadline(t *testing.T) {
	w := New(0)
	deadlines := map[uint32]int64{1: 5 * tick, 2: 5 * tick}
	w.Schedule(1, deadlines[1])
	w.Schedule(2, deadlines[2])
	deadlines[1] = 100 * tick
	deadlines[2] = 0
	got := w.Advance(10*tick, func(s uint32) int64 { return deadlines[s] }, nil)
	if len(got) != 0 {
		t.Fatalf("Advance(10 ticks) expired %v, want none", got)
	}
	if w.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", w.Len())
	}
	got = w.Advance(102*tick, func(s uint32) int64 { return deadlines[s] }, nil)
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("Advance(102 ticks) = %v, want [1]", got)
	}
}

func TestDueIsReached(t *testing.T) {
	tests := []struct {
		name     string
		deadline int64
	}{
		{"same bucket", tick / 2},
		{"level 0", 30 * tick},
		{"level 1", 1000 * tick},
		{"level 2", 1 << 44},
		{"far", 1 << 55},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(1)
			w.Schedule(7, tt.deadline)
			due := w.Due(tt.deadline)
			next, _ := w.Next()
			if next != due {
				t.Fatalf("Next() = %d, Due() = %d", next, due)
			}
		})
	}
}

func BenchmarkScheduleAdvance(b *testing.B) {
	w := New(0)
	now := int64(0)
	deadlines := make([]int64, 1024)
	b.ReportAllocs()
	var expired []uint32
	for b.Loop() {
		s := uint32(now/1e6) % 1024
		deadlines[s] = now + 5*tick
		w.Schedule(s, deadlines[s])
		now += 1e6
		expired = w.Advance(now, func(s uint32) int64 { return deadlines[s] }, expired[:0])
	}
}
