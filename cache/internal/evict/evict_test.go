package evict

import (
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// evictor is the method set the cache uses.
type evictor interface {
	Add(slot uint32, hash uint64, weight int64)
	Hit(slot uint32)
	Update(slot uint32, weight int64)
	Remove(slot uint32)
	Victim() (uint32, bool)
	Weight() int64
}

// order pops every victim.
func order(e evictor) []uint32 {
	var got []uint32
	for {
		s, ok := e.Victim()
		if !ok {
			return got
		}
		e.Remove(s)
		got = append(got, s)
	}
}

func TestVictimOrder(t *testing.T) {
	tests := []struct {
		name string
		e    evictor
		want []uint32
	}{
		{"lru", NewLRU(10), []uint32{2, 3, 0, 1}},
		{"fifo", NewFIFO(10), []uint32{0, 1, 2, 3}},
		{"lfu", NewLFU(10), []uint32{2, 3, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for s := range uint32(4) {
				tt.e.Add(s, uint64(s), 1)
			}
			tt.e.Hit(0)
			tt.e.Hit(1)
			tt.e.Hit(1)
			if got := order(tt.e); !slices.Equal(got, tt.want) {
				t.Fatalf("victims = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLFUAging checks that a once-popular entry ages out: new entries start
// at the last victim's priority + 1 and overtake it after enough hits.
func TestLFUAging(t *testing.T) {
	p := NewLFU(2)
	p.Add(0, 0, 1)
	for range 3 {
		p.Hit(0) // priority 4
	}
	for s := uint32(1); s < 4; s++ {
		p.Add(s, 0, 1)
		if v, _ := p.Victim(); v != s {
			t.Fatalf("step %d: victim %d, want the newcomer", s, v)
		}
		p.Remove(s)
	}
	// L is 3: a newcomer starts at 4, level with slot 0, and is more recent
	p.Add(4, 0, 1)
	if v, _ := p.Victim(); v != 0 {
		t.Fatalf("victim = %d, want the aged slot 0", v)
	}
}

func TestWeights(t *testing.T) {
	for _, e := range []evictor{NewLRU(100), NewFIFO(100), NewLFU(100)} {
		e.Add(0, 0, 1)
		e.Add(1, 0, 1)
		if w := e.Weight(); w != 2 {
			t.Fatalf("%T Weight() = %d, want 2", e, w)
		}
		e.Update(1, 40)
		e.Add(2, 0, 7)
		e.Remove(0)
		if w := e.Weight(); w != 47 {
			t.Fatalf("%T Weight() = %d, want 47", e, w)
		}
	}
}
