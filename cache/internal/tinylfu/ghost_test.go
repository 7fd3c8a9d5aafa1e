package tinylfu

import "testing"

func TestGhostGenerations(t *testing.T) {
	const quota = 1000
	var g ghost
	g.init(quota)
	count := func(from, to uint64) int {
		n := 0
		for k := from; k < to; k++ {
			if g.contains(mix(k)) {
				n++
			}
		}
		return n
	}
	for k := range uint64(quota) {
		g.add(mix(k))
	}
	if got := count(0, quota); got != quota {
		t.Fatalf("after one generation: %d of %d keys remembered, want all", got, quota)
	}
	for k := uint64(quota); k < 2*quota; k++ {
		g.add(mix(k))
	}
	if got := count(0, 2*quota); got != 2*quota {
		t.Fatalf("after two generations: %d of %d keys remembered, want all", got, 2*quota)
	}
	g.add(mix(2 * quota)) // starts a third generation: the first is forgotten
	if got := count(0, quota); got > quota/20 {
		t.Fatalf("first generation after the third started: %d of %d keys remembered, want ≤ 5%% (false positives)", got, quota)
	}
	if got := count(1<<32, 1<<32+10*quota); got > quota/2 {
		t.Fatalf("false positives: %d of %d never-added keys, want ≤ 5%%", got, 10*quota)
	}
}

func TestGhostOff(t *testing.T) {
	var g ghost
	g.init(0)
	g.add(mix(1))
	if g.contains(mix(1)) {
		t.Fatal("a ghost with quota 0 remembered a key")
	}
}

// TestAdmissionModes checks admit for a candidate that the sketch ranks
// below the victim, in each mode, with and without a ghost record.
func TestAdmissionModes(t *testing.T) {
	tests := []struct {
		name    string
		mode    uint8
		ghosted bool // the candidate was rejected recently
		want    bool
	}{
		{name: "frequency", mode: admitFrequency, want: false},
		{name: "frequency-ignores-ghost", mode: admitFrequency, ghosted: true, want: false},
		{name: "ghost-unknown-candidate", mode: admitGhost, want: false},
		{name: "ghost-returning-candidate", mode: admitGhost, ghosted: true, want: true},
		{name: "all", mode: admitAll, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fixedConfig()
			cfg.ghostFactor = 0.5
			p := newPolicy(10, cfg)
			p.mode = tt.mode
			victim, cand := uint32(0), uint32(1)
			p.Add(victim, mix(1), 1)
			p.Hit(victim)
			p.Hit(victim)
			p.Add(cand, mix(2), 1)
			if tt.ghosted {
				p.ghost.add(mix(2))
			}
			if got := p.admit(cand, victim); got != tt.want {
				t.Fatalf("admit = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRejectedCandidateIsGhosted drives an eviction round in which the
// candidate loses and checks that the ghost remembers it.
func TestRejectedCandidateIsGhosted(t *testing.T) {
	cfg := fixedConfig()
	cfg.ghostFactor = 0.5
	h := newHarnessConfig(t, 4, cfg)
	var hot []uint32
	for k := range uint64(4) {
		s := h.add(mix(k), 1)
		hot = append(hot, s)
	}
	for range 3 {
		for _, s := range hot {
			h.p.Hit(s)
		}
	}
	h.add(mix(100), 1)
	h.add(mix(101), 1) // pushes mix(100) out of the window: it loses to any resident
	if !h.p.ghost.contains(mix(100)) {
		t.Fatal("the rejected candidate is not in the ghost")
	}
	h.verify()
}

// TestAllModeAgesProtected checks that without admission, protected
// entries idle for allAge×capacity requests become the next victims (and
// stay forever when aging is off: a segmented LRU's weakness).
func TestAllModeAgesProtected(t *testing.T) {
	const capacity = 20
	tests := []struct {
		name        string
		allAge      float64
		wantEvicted bool
	}{
		{name: "aging", allAge: 1, wantEvicted: true},
		{name: "no-aging", allAge: 0, wantEvicted: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fixedConfig()
			cfg.admitMode, cfg.allAge = admitAll, tt.allAge
			h := newHarnessConfig(t, capacity, cfg)
			old := h.add(mix(1), 1)
			h.add(mix(2), 1) // pushes old out of the one-entry window into probation
			h.p.Hit(old)     // promoted to protected
			if q := h.p.nodes[old].queue; q != qProtected {
				t.Fatalf("queue of the re-read entry = %d, want protected (%d)", q, qProtected)
			}
			evicted := false
			for k := uint64(10); k < 10+4*capacity && !evicted; k++ {
				h.add(mix(k), 1)
				_, live := h.live[old]
				evicted = !live
			}
			if evicted != tt.wantEvicted {
				t.Fatalf("idle protected entry evicted within %d insertions = %v, want %v", 4*capacity, evicted, tt.wantEvicted)
			}
			h.verify()
		})
	}
}

// newHarnessConfig is newHarness with a policy of the given configuration.
func newHarnessConfig(t tb, capacity int64, cfg config) *harness {
	h := newHarness(t, capacity)
	h.p = newPolicy(capacity, cfg)
	return h
}

// TestSwitchMode checks the decision between admission modes: the cache
// switches to another mode's simulation at its current window share when
// that one leads by the margin, and otherwise moves within its own mode.
func TestSwitchMode(t *testing.T) {
	tests := []struct {
		name      string
		ghostSame float64 // score of the ghost-mode simulation at the current window
		ghostBest float64 // score of the best ghost-mode simulation at another window
		wantMode  uint8
	}{
		{name: "within-margin", ghostSame: 100.5, ghostBest: 200, wantMode: admitFrequency},
		{name: "within-noise", ghostSame: 109, ghostBest: 200, wantMode: admitFrequency}, // √100 = 10
		{name: "leads", ghostSame: 111, ghostBest: 0, wantMode: admitGhost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults
			cfg.ghostFactor, cfg.otherModes, cfg.modeMargin = 0.5, []uint8{admitGhost}, 0.01
			var sh shadows
			sh.init(1000, &cfg)
			n := len(cfg.grid)
			if len(sh.sims) != 2*n || sh.sims[n].p.mode != admitGhost {
				t.Fatalf("%d simulations, want %d with the second half in ghost mode", len(sh.sims), 2*n)
			}
			cur := sh.current
			sh.sims[cur].score = 100
			sh.sims[n+cur].score = tt.ghostSame
			sh.sims[n+(cur+1)%n].score = tt.ghostBest
			switched := sh.switchMode(&cfg)
			if sh.mode(&cfg) != tt.wantMode || switched != (tt.wantMode != admitFrequency) {
				t.Fatalf("mode = %d (switched %v), want %d", sh.mode(&cfg), switched, tt.wantMode)
			}
			if want := cur + int(tt.wantMode)*n; sh.current != want {
				t.Fatalf("current simulation = %d, want %d (same window share)", sh.current, want)
			}
			if got := sh.sims[sh.current].window; got != cfg.grid[cur] {
				t.Fatalf("window share after the decision = %v, want %v", got, cfg.grid[cur])
			}
		})
	}
}

// TestRunningSimulations checks which simulations run as the window moves
// and the mode switches: the current mode's grid, the frequency grid, and
// the other modes near the current window share; a simulation that starts
// to run is a consistent copy at its own window share.
func TestRunningSimulations(t *testing.T) {
	cfg := defaults
	var sh shadows
	sh.init(1000, &cfg)
	n := len(cfg.grid)
	if got, want := len(sh.fed), n+2*len(cfg.otherModes); sh.current != 0 || got != want {
		t.Fatalf("current %d, %d simulations run, want 0 and %d", sh.current, got, want)
	}
	for k := range uint64(4000) {
		for _, s := range sh.fed {
			s.access(mix(k%1500), 1)
		}
	}
	for _, s := range sh.sims {
		s.score, s.hits = 100, 0
	}
	sh.sims[n-1].score = 200 // the largest window leads; the cache steps toward it
	sh.n = sh.epoch*sh.mul - 1
	if w, ok := sh.access(mix(1<<40), 1, &cfg); !ok || w != cfg.grid[1] { // a miss everywhere
		t.Fatalf("window decision = %v, %v; want %v, true", w, ok, cfg.grid[1])
	}
	if got, want := len(sh.fed), n+3*len(cfg.otherModes); got != want {
		t.Fatalf("after the move %d simulations run, want %d", got, want)
	}
	for b := n; b < len(sh.sims); b += n {
		s := sh.sims[b+2] // started to run with the move
		if s.window != cfg.grid[2] || s.p.mode == admitFrequency {
			t.Fatalf("simulation %d: window %v mode %d, want %v in another mode", b+2, s.window, s.p.mode, cfg.grid[2])
		}
		if err := s.p.check(); err != nil {
			t.Fatalf("simulation %d: %v", b+2, err)
		}
	}
	ghost := n + 1 // ghost mode at the current share
	sh.sims[ghost].score = 1000
	if !sh.switchMode(&cfg) || sh.mode(&cfg) != admitGhost || sh.current != ghost {
		t.Fatalf("mode %d current %d, want a switch to %d at %d", sh.mode(&cfg), sh.current, admitGhost, ghost)
	}
	if got, want := len(sh.fed), 2*n+3; got != want {
		t.Fatalf("in ghost mode %d simulations run, want %d", got, want)
	}
	for j := range n {
		s := sh.sims[n+j]
		want := 1000 * sh.sims[j].score / sh.sims[1].score // as the frequency grid scores
		if s.window != cfg.grid[j] || s.p.mode != admitGhost || abs(s.score-want) > 1e-6 {
			t.Fatalf("ghost simulation %d: window %v mode %d score %v, want %v, %d, %v", j, s.window, s.p.mode, s.score, cfg.grid[j], admitGhost, want)
		}
		if err := s.p.check(); err != nil {
			t.Fatalf("ghost simulation %d: %v", j, err)
		}
	}
}
