package tinylfu

import "testing"

// TestShadowsFollowTheWorkload checks the adaptation end to end: a
// recency workload (every key read again shortly after it first appears,
// then never: LRU's best case, TinyLFU's worst) must grow the window or
// leave the frequency admission mode, and a frequency workload (a hot set
// under a scan of one-hit wonders) must keep the window small and some
// admission filter.
func TestShadowsFollowTheWorkload(t *testing.T) {
	const capacity = 512
	tests := []struct {
		name      string
		next      func(i int) uint64
		minWindow float64 // share of the capacity, at least, unless the mode is a recency one
		maxWindow float64 // at most
	}{
		{
			name: "recency",
			next: func(i int) uint64 { // keys k, then k again after 100 others
				if i%2 == 0 {
					return uint64(i / 2)
				}
				return uint64(max(i/2-100, 0))
			},
			minWindow: 0.25, maxWindow: 1,
		},
		{
			name: "frequency",
			next: func(i int) uint64 {
				if i%2 == 0 {
					return uint64(i/2) % (capacity / 2) // hot set, half the capacity
				}
				return 1<<40 + uint64(i) // scan
			},
			minWindow: 0, maxWindow: 0.11,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, capacity)
			if !h.p.cfg.shadows {
				t.Skip("window adaptation by shadows is off")
			}
			slots := map[uint64]uint32{}
			for i := range 40 * capacity {
				k := tt.next(i)
				if s, ok := slots[k]; ok {
					if _, live := h.live[s]; live {
						h.p.Hit(s)
						continue
					}
				}
				slots[k] = h.add(mix(k), 1)
			}
			h.verify()
			share := float64(h.p.windowMax) / capacity
			recency := h.p.mode != admitFrequency
			if (share < tt.minWindow && !recency) || share > tt.maxWindow {
				t.Fatalf("window share = %.3f (admission mode %d), want in [%.2f, %.2f] or a recency mode",
					share, h.p.mode, tt.minWindow, tt.maxWindow)
			}
			if tt.minWindow == 0 && h.p.mode == admitAll {
				t.Fatal("admission is off (mode all) on a workload of scans")
			}
		})
	}
}

func TestShadowSamplingRate(t *testing.T) {
	tests := []struct {
		name     string
		capacity int64
		wantRate uint
	}{
		{name: "small-cache-full-rate", capacity: 100, wantRate: 0},
		{name: "at-min", capacity: defaults.minShadow, wantRate: 0},
		{name: "large", capacity: 1 << 20, wantRate: 20 - uint(bitsOf(defaults.minShadow))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sh shadows
			cfg := defaults
			sh.init(tt.capacity, &cfg)
			if sh.rate != tt.wantRate {
				t.Fatalf("rate = %d, want %d", sh.rate, tt.wantRate)
			}
			n, sampled := 1<<20, 0
			for i := range n {
				if sh.sampled(mix(uint64(i))) {
					sampled++
				}
			}
			want := float64(n) / float64(uint64(1)<<sh.rate)
			if got := float64(sampled); got < 0.8*want || got > 1.2*want {
				t.Fatalf("sampled %d of %d keys, want about %.0f", sampled, n, want)
			}
		})
	}
}

// bitsOf returns log2 of a power of two.
func bitsOf(x int64) int {
	n := 0
	for x > 1 {
		x >>= 1
		n++
	}
	return n
}

// TestLeads checks the lead a simulation needs over the current one: the
// relative margin and z square roots of the current score, whichever is
// larger.
func TestLeads(t *testing.T) {
	tests := []struct {
		name       string
		score, cur float64
		margin, z  float64
		want       bool
	}{
		{name: "margin-only", score: 102, cur: 100, margin: 0.01, z: 0, want: true},
		{name: "within-noise", score: 109, cur: 100, margin: 0.01, z: 1, want: false},
		{name: "beyond-noise", score: 111, cur: 100, margin: 0.01, z: 1, want: true},
		{name: "large-scores", score: 10_150, cur: 10_000, margin: 0.01, z: 1, want: true}, // margin decides: 100 < 150
		{name: "within-margin", score: 10_090, cur: 10_000, margin: 0.01, z: 0, want: false},
		{name: "two-roots", score: 115, cur: 100, margin: 0.01, z: 2, want: false},
		{name: "from-zero", score: 1, cur: 0, margin: 0.01, z: 1, want: true},
		{name: "tie", score: 0, cur: 0, margin: 0.01, z: 1, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := leads(tt.score, tt.cur, tt.margin, tt.z); got != tt.want {
				t.Fatalf("leads(%v, %v, %v, %v) = %v, want %v", tt.score, tt.cur, tt.margin, tt.z, got, tt.want)
			}
		})
	}
}

// TestWindowMoveNeedsSignificantLead checks the window decision at the end
// of an epoch: a best window whose lead over the current one is within the
// noise of the current score (√score) does not move the window; a larger
// lead moves it one grid step.
func TestWindowMoveNeedsSignificantLead(t *testing.T) {
	tests := []struct {
		name     string
		best     float64 // score of the largest window; the others score 400
		wantMove bool
	}{
		{name: "noise", best: 415, wantMove: false}, // above the 1% margin, below √400 = 20
		{name: "lead", best: 425, wantMove: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults
			var sh shadows
			sh.init(1000, &cfg)
			n := len(cfg.grid)
			for _, s := range sh.sims {
				s.score, s.hits = 400/cfg.shadowDecay, 0 // folding an epoch without hits gives 400
			}
			sh.sims[n-1].score = tt.best / cfg.shadowDecay
			sh.n = sh.epoch*sh.mul - 1
			w, moved := sh.access(mix(1<<40), 1, &cfg) // a miss everywhere ends the epoch
			if moved != tt.wantMove {
				t.Fatalf("window moved = %v (to %v), want %v", moved, w, tt.wantMove)
			}
			if moved && w != cfg.grid[1] {
				t.Fatalf("window share after the move = %v, want one grid step: %v", w, cfg.grid[1])
			}
		})
	}
}

// TestSimulationsShareSketch checks that the simulations read one sketch,
// counted once per sampled request (not once per simulation), and keep no
// table of their own.
func TestSimulationsShareSketch(t *testing.T) {
	p := New(1000) // every key is sampled below 2048 entries
	for k := range uint64(3) {
		p.Add(uint32(k), mix(k), 1)
	}
	p.Hit(0)
	if got := p.shadows.sketch.frequency(mix(0)); got != 2 {
		t.Errorf("shared estimate of a key added and read once = %d, want 2", got)
	}
	if got := p.shadows.sketch.frequency(mix(1)); got != 1 {
		t.Errorf("shared estimate of a key added once = %d, want 1", got)
	}
	for i, s := range p.shadows.sims {
		if s.p.shared != &p.shadows.sketch {
			t.Fatalf("simulation %d does not read the shared sketch", i)
		}
		if n := len(s.p.sketch.table); n != 0 {
			t.Errorf("simulation %d keeps a sketch of its own (%d words)", i, n)
		}
		if got := s.p.frequency(mix(0)); got != 2 {
			t.Errorf("simulation %d: estimate %d, want the shared 2", i, got)
		}
	}
}
