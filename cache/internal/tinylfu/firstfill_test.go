package tinylfu

import "testing"

func TestFirstFillLoses(t *testing.T) {
	const capacity = 100 // the rule applies up to 50 requests after the first fill
	tests := []struct {
		name          string
		phase         uint8
		stamp         uint32 // victim's last request; the cache was half full at 10, full at 20
		ticks         uint32
		protectedMax  int64 // protected holds 0
		simulation    bool
		victimFreqOne bool // false: the victim was requested once more than the candidate
		want          bool
	}{
		{name: "warm-up-victim-loses", phase: fillFull, stamp: 5, ticks: 30, victimFreqOne: true, want: true},
		{name: "last-moment-of-the-window", phase: fillFull, stamp: 5, ticks: 70, victimFreqOne: true, want: true},
		{name: "window-over", phase: fillFull, stamp: 5, ticks: 71, victimFreqOne: true, want: false},
		{name: "victim-requested-after-half-full", phase: fillFull, stamp: 10, ticks: 30, victimFreqOne: true, want: false},
		{name: "not-full-yet", phase: fillHalf, stamp: 5, ticks: 30, victimFreqOne: true, want: false},
		{name: "little-requested-again", phase: fillFull, stamp: 5, ticks: 30, protectedMax: 10, victimFreqOne: true, want: false},
		{name: "simulation", phase: fillFull, stamp: 5, ticks: 30, simulation: true, victimFreqOne: true, want: false},
		{name: "more-frequent-victim-stays", phase: fillFull, stamp: 5, ticks: 30, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults
			if tt.simulation {
				cfg.shadows, cfg.climb = false, false
			}
			p := newPolicy(capacity, cfg)
			victim, cand := uint32(0), uint32(1)
			p.Add(victim, mix(1), 1)
			p.Add(cand, mix(2), 1)
			if !tt.victimFreqOne {
				p.Hit(victim)
			}
			p.fill = firstFill{half: 10, full: 20, phase: tt.phase}
			p.protectedMax = tt.protectedMax
			p.nodes[victim].stamp = tt.stamp
			p.ticks = tt.ticks
			if got := p.admit(cand, victim); got != tt.want {
				t.Fatalf("admit(candidate freq %d, victim freq %d) = %v, want %v",
					p.sketch.frequency(mix(2)), p.sketch.frequency(mix(1)), got, tt.want)
			}
		})
	}
}

// TestFirstFillEndToEnd fills a cache of 100 with warm-up keys that are
// never requested again (0..48, before half full) and keys that are
// (50..98, read once the cache is half full), then inserts ten new keys:
// they replace warm-up keys when most of the main space was requested
// again, and are rejected (as by plain TinyLFU) when little of it was, or
// in a simulation.
func TestFirstFillEndToEnd(t *testing.T) {
	const capacity = 100
	tests := []struct {
		name       string
		reread     int // of the keys 50..98
		simulation bool
		wantNew    int // of the ten new keys, how many are cached
	}{
		{name: "main-space-reread", reread: 49, wantNew: 10},
		{name: "little-reread", reread: 20, wantNew: 1},
		{name: "simulation", reread: 49, simulation: true, wantNew: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults
			if tt.simulation {
				cfg.shadows, cfg.climb = false, false
			}
			h := newHarnessConfig(t, capacity, cfg)
			slots := map[uint64]uint32{}
			for k := range uint64(99) {
				slots[k] = h.add(mix(k), 1)
			}
			for k := range uint64(tt.reread) {
				h.p.Hit(slots[50+k])
			}
			slots[99] = h.add(mix(99), 1)
			for k := range uint64(10) {
				slots[200+k] = h.add(mix(200+k), 1)
			}
			h.verify()
			cached := 0
			for k := range uint64(10) {
				if _, ok := h.live[slots[200+k]]; ok && h.p.nodes[slots[200+k]].hash == mix(200+k) {
					cached++
				}
			}
			if cached != tt.wantNew {
				t.Fatalf("%d of the 10 new keys cached, want %d", cached, tt.wantNew)
			}
		})
	}
}
