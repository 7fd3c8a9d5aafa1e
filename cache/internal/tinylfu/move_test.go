package tinylfu

import (
	"math/bits"
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"pgregory.net/rapid"
)

// movePair drives two policies with the same requests the way the cache
// does: a is the reference; b sees the same calls, but its entries are
// moved between slots at random (Move) and its slices cut (Shrink), so it
// names them by other slots. bOf and aOf map a's slots to b's and back.
type movePair struct {
	rt       *rapid.T
	a, b     *Policy
	capacity int64
	weight   func(*rapid.T) int64
	slotOf   map[uint64]uint32 // live key → a's slot
	keyOf    map[uint32]uint64 // a's slot → live key
	weights  map[uint32]int64  // a's slot → weight
	total    int64
	free     []uint32 // a's free slots, the last freed reused first
	next     uint32
	bOf, aOf map[uint32]uint32
	stats    *moveStats
}

// moveStats counts what the runs exercised, so that the test can require
// that the interesting cases happened at all.
type moveStats struct {
	windowMoves, modeSwitches int // in a, during requests
	roundMoves                int // moves inside an eviction round
	victimMoves               int // the victim itself moved before Remove
	shrinks                   int // Shrink calls that released slots
	steps                     int
}

// moveVariant is a kind of cache for TestMoveMatchesReference.
type moveVariant struct {
	name     string
	weighted bool  // Weighted is called before the first Add
	maxCap   int64 // below 1024, so the simulations sample every key
	weight   func(*rapid.T) int64
}

var moveVariants = []moveVariant{
	{name: "unit", maxCap: 64, weight: func(*rapid.T) int64 { return 1 }},
	{name: "weighted", weighted: true, maxCap: 60, weight: func(rt *rapid.T) int64 {
		return rapid.Int64Range(0, 12).Draw(rt, "weight")
	}},
	{name: "mixed", maxCap: 64, weight: func(rt *rapid.T) int64 { // unit until some weight is not
		if rapid.IntRange(0, 60).Draw(rt, "odd") > 0 {
			return 1
		}
		return rapid.Int64Range(0, 5).Draw(rt, "weight")
	}},
}

// TestMoveMatchesReference checks Move and Shrink against a policy that
// sees neither: with the same requests, removals, resizes and eviction
// rounds (moves may come between a Victim and its Remove, and may move the
// victim itself), both must pick the same victims (through the slot
// mapping) and keep the same state: queues in the same order, the same
// cursors, totals, sketch, ghost, window, mode and simulation scores.
func TestMoveMatchesReference(t *testing.T) {
	for _, v := range moveVariants {
		t.Run("weights="+v.name, func(t *testing.T) {
			stats := &moveStats{}
			rapid.Check(t, func(rt *rapid.T) { runMovePair(rt, v, stats) })
			t.Logf("%+v", *stats)
			if stats.roundMoves == 0 || stats.victimMoves == 0 || stats.shrinks == 0 || stats.windowMoves == 0 {
				t.Errorf("the runs did not exercise every case: %+v", *stats)
			}
			if v.name == "unit" && stats.modeSwitches == 0 {
				t.Errorf("no admission mode switch in any run: %+v", *stats)
			}
		})
	}
}

func runMovePair(rt *rapid.T, v moveVariant, stats *moveStats) {
	capacity := rapid.Int64Range(0, v.maxCap).Draw(rt, "capacity")
	p := &movePair{
		rt: rt, a: New(capacity), b: New(capacity), capacity: capacity, weight: v.weight,
		slotOf: map[uint64]uint32{}, keyOf: map[uint32]uint64{}, weights: map[uint32]int64{},
		bOf: map[uint32]uint32{}, aOf: map[uint32]uint32{}, stats: stats,
	}
	if v.weighted {
		p.a.Weighted()
		p.b.Weighted()
	}
	hot := rapid.IntRange(1, int(capacity)+2).Draw(rt, "hot")
	var loop, seq, phase uint64
	steps := rapid.IntRange(1000, 3000).Draw(rt, "steps")
	stats.steps += steps
	for range steps {
		switch op := rapid.IntRange(0, 999).Draw(rt, "op"); {
		case op < 270: // a popular key: frequency pays
			p.request(phase + uint64(rapid.IntRange(0, hot).Draw(rt, "hot key")))
		case op < 470: // a loop over more keys than fit: nothing pays
			loop = (loop + 1) % uint64(3*hot+7)
			p.request(1<<20 + phase + loop)
		case op < 720: // a key requested a few times soon after the first: recency pays
			seq++
			p.request(1<<30 + seq - min(seq, uint64(rapid.IntRange(0, hot).Draw(rt, "recent"))))
		case op < 780: // a one-time key
			p.request(1<<40 + rapid.Uint64().Draw(rt, "cold key"))
		case op < 783:
			phase += 1 << 10 // the popular keys change
		case op < 813:
			p.update()
		case op < 843:
			p.removeLive()
		case op < 846: // rare, as they restart the adaptation
			p.clear()
		case op < 850:
			p.resize(v.maxCap)
		case op < 950:
			p.moveRandom()
		case op < 960:
			p.moveInvalid()
		default:
			p.shrink()
		}
		p.compare()
	}
}

// request replays a request for key: a hit, or a miss that adds the key.
func (p *movePair) request(key uint64) {
	window, mode := p.a.windowMax, p.a.mode
	defer func() {
		if p.a.windowMax != window {
			p.stats.windowMoves++
		}
		if p.a.mode != mode {
			p.stats.modeSwitches++
		}
	}()
	if s, ok := p.slotOf[key]; ok {
		p.a.Hit(s)
		p.b.Hit(p.bOf[s])
		return
	}
	w := p.weight(p.rt)
	var s uint32
	if n := len(p.free); n > 0 {
		s, p.free = p.free[n-1], p.free[:n-1]
	} else {
		s, p.next = p.next, p.next+1
	}
	bs := p.freeB()
	p.slotOf[key], p.keyOf[s], p.weights[s] = s, key, w
	p.bOf[s], p.aOf[bs] = bs, s
	p.total += w
	p.a.Add(s, mix(key), w)
	p.b.Add(bs, mix(key), w)
	p.interleave(s)
	p.evict()
}

// interleave makes calls that the cache does not make between an Add,
// Update or SetCapacity and its eviction round, but that the contract
// allows: moves (of the entry just added or updated, which may be heavy,
// or of another) and removals.
func (p *movePair) interleave(s uint32) {
	for range rapid.IntRange(0, 2).Draw(p.rt, "interleave") {
		switch rapid.IntRange(0, 4).Draw(p.rt, "interleaved") {
		case 0, 1:
			if _, ok := p.bOf[s]; ok {
				p.moveB(p.bOf[s])
			}
		case 2, 3:
			p.moveRandom()
		default:
			p.removeLive()
		}
		p.compare()
	}
}

// evict runs eviction rounds as the cache does, with moves on b between
// each Victim and its Remove.
func (p *movePair) evict() {
	for p.total > p.capacity {
		va, okA := p.a.Victim()
		vb, okB := p.b.Victim()
		if !okA || !okB {
			p.rt.Fatalf("Victim() ok = %v, %v with total %d > capacity %d", okA, okB, p.total, p.capacity)
		}
		if got, ok := p.aOf[vb]; !ok || got != va {
			p.rt.Fatalf("b's victim is slot %d (a's %d, mapped %v), a's is %d", vb, got, ok, va)
		}
		if _, ok := p.keyOf[va]; !ok {
			p.rt.Fatalf("Victim() = %d, not a live slot", va)
		}
		for range rapid.IntRange(0, 2).Draw(p.rt, "round moves") {
			victim := rapid.Bool().Draw(p.rt, "move victim")
			if victim {
				p.moveB(p.bOf[va])
				p.stats.victimMoves++
			} else {
				p.moveRandom()
			}
			if p.a.round {
				p.stats.roundMoves++
			}
			p.compare()
		}
		p.remove(va)
	}
}

// remove removes the entry in a's slot s from both policies.
func (p *movePair) remove(s uint32) {
	bs := p.bOf[s]
	p.a.Remove(s)
	p.b.Remove(bs)
	p.total -= p.weights[s]
	delete(p.slotOf, p.keyOf[s])
	delete(p.keyOf, s)
	delete(p.weights, s)
	delete(p.bOf, s)
	delete(p.aOf, bs)
	p.free = append(p.free, s)
}

// live returns a's live slots in order.
func (p *movePair) live() []uint32 {
	out := make([]uint32, 0, len(p.keyOf))
	for s := range p.keyOf {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func (p *movePair) removeLive() {
	if live := p.live(); len(live) > 0 {
		p.remove(rapid.SampledFrom(live).Draw(p.rt, "remove"))
	}
}

// clear removes every entry (Cache.Clear), in a drawn order.
func (p *movePair) clear() {
	live := p.live()
	if rapid.Bool().Draw(p.rt, "clear backwards") {
		slices.Reverse(live)
	}
	for _, s := range live {
		p.remove(s)
	}
}

func (p *movePair) update() {
	live := p.live()
	if len(live) == 0 {
		return
	}
	s := rapid.SampledFrom(live).Draw(p.rt, "update")
	w := p.weight(p.rt)
	p.total += w - p.weights[s]
	p.weights[s] = w
	p.a.Update(s, w)
	p.b.Update(p.bOf[s], w)
	p.interleave(s)
	p.evict()
}

func (p *movePair) resize(maxCap int64) {
	p.capacity = rapid.Int64Range(0, maxCap).Draw(p.rt, "resize")
	p.a.SetCapacity(p.capacity)
	p.b.SetCapacity(p.capacity)
	p.interleave(none)
	p.evict()
}

// top returns 1 + the highest slot live in b (0 when none is).
func (p *movePair) top() uint32 {
	var top uint32
	for bs := range p.aOf {
		top = max(top, bs+1)
	}
	return top
}

// freeB draws a slot that b does not track, below top+3 (so b's nodes
// sometimes grow for it).
func (p *movePair) freeB() uint32 {
	var free []uint32
	for s := range p.top() + 3 {
		if _, ok := p.aOf[s]; !ok {
			free = append(free, s)
		}
	}
	return rapid.SampledFrom(free).Draw(p.rt, "free b slot")
}

// moveB moves b's entry in slot from to a free slot.
func (p *movePair) moveB(from uint32) {
	to := p.freeB()
	s := p.aOf[from]
	p.b.Move(from, to)
	delete(p.aOf, from)
	p.aOf[to], p.bOf[s] = s, to
}

// moveRandom moves a random entry of b to a random free slot.
func (p *movePair) moveRandom() {
	live := p.live()
	if len(live) == 0 {
		return
	}
	p.moveB(p.bOf[rapid.SampledFrom(live).Draw(p.rt, "move")])
}

// moveInvalid calls Move with an untracked source or a tracked target,
// which must change nothing.
func (p *movePair) moveInvalid() {
	live := p.live()
	if len(live) == 0 {
		return
	}
	to := p.bOf[rapid.SampledFrom(live).Draw(p.rt, "tracked")]
	if rapid.Bool().Draw(p.rt, "from untracked") {
		p.b.Move(p.freeB(), to)
		return
	}
	p.b.Move(p.bOf[rapid.SampledFrom(live).Draw(p.rt, "other tracked")], to)
}

// shrink calls Shrink on b: mostly right above its highest live slot, as
// the cache does, sometimes lower (the live slots must then be kept).
func (p *movePair) shrink() {
	top := p.top()
	n := top
	if rapid.Bool().Draw(p.rt, "shrink too far") {
		n = rapid.Uint32Range(0, top).Draw(p.rt, "shrink")
	}
	before := len(p.b.nodes)
	p.b.Shrink(n)
	if p.a.weighted { // the one change Shrink makes to the state a has too
		p.a.sketch.fold(p.a.count, p.a.cfg.sketchFactor)
	}
	if len(p.b.nodes) < before {
		p.stats.shrinks++
	}
	if got, want := len(p.b.nodes), min(int(top), before); got != want {
		p.rt.Fatalf("after Shrink(%d), b has %d nodes, want %d (live slots below %d)", n, got, want, top)
	}
	if c := cap(p.b.nodes); c > 2*int(top)+64 {
		p.rt.Fatalf("after Shrink(%d), b's nodes have capacity %d for %d slots", n, c, top)
	}
}

// compare checks that b's state is a's with slots renamed.
func (p *movePair) compare() {
	a, b := p.a, p.b
	for _, x := range []*Policy{a, b} {
		if err := x.check(); err != nil {
			p.rt.Fatal(err)
		}
	}
	if a.Weight() != p.total || b.Weight() != p.total || a.Len() != len(p.keyOf) || b.Len() != len(p.keyOf) {
		p.rt.Fatalf("totals: a %d/%d, b %d/%d, want %d/%d", a.Weight(), a.Len(), b.Weight(), b.Len(), p.total, len(p.keyOf))
	}
	for _, id := range []uint8{qWindow, qProbation, qProtected} {
		p.compareQueue(id)
	}
	for _, c := range []struct {
		name   string
		sa, sb uint32
	}{{"cand", a.cand, b.cand}, {"vic", a.vic, b.vic}, {"last", a.last, b.last}, {"pending", a.pending, b.pending}} {
		p.sameSlot(c.name, c.sa, c.sb)
	}
	if len(a.heavy) != len(b.heavy) {
		p.rt.Fatalf("heavy: a %v, b %v", a.heavy, b.heavy)
	}
	for i := range a.heavy {
		p.sameSlot("heavy", a.heavy[i], b.heavy[i])
	}
	p.compareScalars()
}

// sameSlot checks that b's slot sb holds a's entry sa (or both are none).
func (p *movePair) sameSlot(name string, sa, sb uint32) {
	if sa == none && sb == none {
		return
	}
	if got, ok := p.aOf[sb]; !ok || got != sa {
		p.rt.Fatalf("%s: a names slot %d, b slot %d (a's %d, mapped %v)", name, sa, sb, got, ok)
	}
}

// compareQueue walks queue id in both policies.
func (p *movePair) compareQueue(id uint8) {
	sa, sb := p.a.queueOf(id).head, p.b.queueOf(id).head
	for sa != none || sb != none {
		p.sameSlot("queue", sa, sb)
		na, nb := p.a.nodes[sa], p.b.nodes[sb]
		if na.hash != nb.hash || na.stamp != nb.stamp || p.a.weightOf(sa) != p.b.weightOf(sb) {
			p.rt.Fatalf("queue %d: a's slot %d is %+v weight %d, b's slot %d is %+v weight %d",
				id, sa, na, p.a.weightOf(sa), sb, nb, p.b.weightOf(sb))
		}
		sa, sb = na.next, nb.next
	}
}

// compareScalars compares the state that names no slot.
func (p *movePair) compareScalars() {
	a, b := p.a, p.b
	type scalars struct {
		round, weighted, started            bool
		candQ, vicQ, mode                   uint8
		windowMax, protectedMax, capacity   int64
		ticks                               uint32
		rng                                 uint64
		current, n, mul, trialLeft, sims    int
		windowLen, probationLen, protectLen int
	}
	get := func(x *Policy) scalars {
		return scalars{x.round, x.weighted, x.started, x.candQ, x.vicQ, x.mode,
			x.windowMax, x.protectedMax, x.capacity, x.ticks, x.rng,
			x.shadows.current, x.shadows.n, x.shadows.mul, x.shadows.trial.left, len(x.shadows.sims),
			x.window.len, x.probation.len, x.protected.len}
	}
	if sa, sb := get(a), get(b); sa != sb {
		p.rt.Fatalf("state: a %+v, b %+v", sa, sb)
	}
	for i, s := range a.shadows.sims {
		if t := b.shadows.sims[i]; s.hits != t.hits || s.score != t.score || s.p.Len() != t.p.Len() {
			p.rt.Fatalf("simulation %d: a %d hits, score %g, %d entries; b %d, %g, %d",
				i, s.hits, s.score, s.p.Len(), t.hits, t.score, t.p.Len())
		}
	}
	if !slices.Equal(a.sketch.table, b.sketch.table) || a.sketch.size != b.sketch.size {
		p.rt.Fatal("sketches differ")
	}
	if !slices.Equal(a.ghost.young, b.ghost.young) || !slices.Equal(a.ghost.old, b.ghost.old) || a.ghost.n != b.ghost.n {
		p.rt.Fatal("ghosts differ")
	}
}

// TestMoveInvalid checks that Move ignores an untracked source, a tracked
// target and a move onto itself.
func TestMoveInvalid(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to uint32
	}{
		{name: "untracked source", from: 7, to: 8},
		{name: "source beyond the nodes", from: 1000, to: 8},
		{name: "tracked target", from: 1, to: 2},
		{name: "same slot", from: 2, to: 2},
		{name: "target none", from: 2, to: none},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(10)
			for s := range uint32(5) {
				p.Add(s, mix(uint64(s)), 1)
			}
			p.Remove(3)
			p.Remove(4)
			nodes := slices.Clone(p.nodes)
			p.Move(tc.from, tc.to)
			if !slices.Equal(p.nodes[:len(nodes)], nodes) {
				t.Errorf("Move(%d, %d) changed the nodes:\n got %+v\nwant %+v", tc.from, tc.to, p.nodes, nodes)
			}
			if err := p.check(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestShrinkReleasesMemory adds 100,000 entries, removes all but 1,000,
// moves those below slot 1,000 and shrinks: the heap must give back at
// least 80% of the per-slot state (24-byte nodes, and 8-byte weights in a
// weighted cache), and the policy must still work.
func TestShrinkReleasesMemory(t *testing.T) {
	const total, kept = 100_000, 1_000
	for _, tc := range []struct {
		name   string
		weight int64 // of every entry; not 1 stores weights
	}{
		{name: "unit", weight: 1},
		{name: "weighted", weight: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(total * tc.weight)
			if tc.weight != 1 {
				p.Weighted()
			}
			for s := range uint32(total) {
				p.Add(s, mix(uint64(s)), tc.weight)
			}
			for s := range uint32(total) {
				if s%(total/kept) != 0 {
					p.Remove(s)
				}
			}
			for i := uint32(1); i < kept; i++ { // slot i was moved already if it was kept
				p.Move(i*(total/kept), i)
			}
			perSlot := int64(unsafe.Sizeof(node{}))
			if tc.weight != 1 {
				perSlot += 8
			}
			want := int64(0.8 * float64(perSlot*total))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			p.Shrink(kept)
			runtime.GC()
			runtime.ReadMemStats(&after)
			if freed := int64(before.HeapAlloc) - int64(after.HeapAlloc); freed < want {
				t.Errorf("Shrink(%d) freed %d bytes, want at least %d (80%% of %d slots × %d bytes)",
					kept, freed, want, total, perSlot)
			}
			if got := len(p.nodes); got != kept {
				t.Errorf("%d nodes after Shrink(%d), want %d", got, kept, kept)
			}
			// A weighted sketch is sized by the entries (131,072 words for
			// 100,000), an unweighted one by the capacity, which did not change.
			wantWords := 1 << bits.Len(uint(total-1))
			if tc.weight != 1 {
				wantWords = 1 << bits.Len(uint(kept-1))
			}
			if got := len(p.sketch.table); got != wantWords {
				t.Errorf("sketch of %d words after Shrink(%d), want %d", got, kept, wantWords)
			}
			checkAfterShrink(t, p, kept, tc.weight)
		})
	}
}

// checkAfterShrink checks that a policy shrunk to kept live entries in
// slots 0 to kept-1 still works: its totals, Adds of slots below and far
// above the cut, and eviction.
func checkAfterShrink(t *testing.T, p *Policy, kept int, weight int64) {
	t.Helper()
	if err := p.check(); err != nil {
		t.Fatal(err)
	}
	if p.Len() != kept || p.Weight() != int64(kept)*weight {
		t.Fatalf("Len() = %d, Weight() = %d, want %d and %d", p.Len(), p.Weight(), kept, int64(kept)*weight)
	}
	p.SetCapacity(int64(kept) * weight)
	for _, s := range []uint32{uint32(kept), 250_000} {
		p.Add(s, mix(uint64(s)+1<<32), weight)
		v, ok := p.Victim()
		if !ok || p.nodes[v].queue == qNone {
			t.Fatalf("after Add(%d): Victim() = %d, %v, not a live slot", s, v, ok)
		}
		p.Remove(v)
		if err := p.check(); err != nil {
			t.Fatal(err)
		}
	}
	if p.Len() != kept {
		t.Fatalf("Len() = %d after adding and evicting, want %d", p.Len(), kept)
	}
}
