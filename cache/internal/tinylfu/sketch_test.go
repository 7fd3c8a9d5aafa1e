package tinylfu

import "testing"

func TestSketchCountsAndSaturates(t *testing.T) {
	var s sketch
	s.ensureCapacity(512, 10)
	h := mix(7)
	for i := 1; i <= 20; i++ {
		s.increment(h)
		want := min(i, 15)
		if got := s.frequency(h); got != want {
			t.Fatalf("after %d increments frequency = %d, want %d", i, got, want)
		}
	}
	if got := s.frequency(mix(8)); got > 1 {
		t.Fatalf("frequency of an unseen key = %d, want at most 1 (collisions)", got)
	}
}

func TestSketchAging(t *testing.T) {
	var s sketch
	s.ensureCapacity(64, 10) // sample size 640
	hot := mix(1)
	for range 15 {
		s.increment(hot)
	}
	if got := s.frequency(hot); got != 15 {
		t.Fatalf("frequency before aging = %d, want 15", got)
	}
	for i := uint64(100); s.size != 0 && s.size < s.sampleSize-1; i++ {
		s.increment(mix(i))
	}
	before := s.frequency(hot)
	for i := uint64(1 << 20); ; i++ { // until the next reset halves the counters
		prev := s.size
		s.increment(mix(i))
		if s.size < prev {
			break
		}
	}
	if got := s.frequency(hot); got != before/2 {
		t.Fatalf("frequency after aging = %d, want %d (halved)", got, before/2)
	}
}

func TestSketchGrowsOnly(t *testing.T) {
	var s sketch
	s.ensureCapacity(1000, 10)
	n := len(s.table)
	s.ensureCapacity(10, 10)
	if len(s.table) != n {
		t.Fatalf("table shrank from %d to %d", n, len(s.table))
	}
	s.ensureCapacity(5000, 10)
	if len(s.table) <= n {
		t.Fatalf("table did not grow: %d", len(s.table))
	}
}
